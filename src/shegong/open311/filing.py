"""POST requests: file an appeal for a platform enterprise's key (channel Open311), once per retry.

Where: `address_id` (a division code, usually the 12-digit community) or else `jurisdiction_id`; with
neither — lat/long or address_string alone — the key's own division when the key covers a single county
or less, since there is no reverse geocoder to place a point or an address; otherwise a 400 asking for
`address_id`. A division outside the key's prefix is a 403.

Retries: Open311 has no idempotency header, so a client may send `Idempotency-Key` (the appeals API's
rule: same key and body → the first answer; another body → 400 here). Without one, the same body from the
same key within 10 to 20 minutes is taken as a retry and answered with the first appeal's number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.appeals import services
from shegong.appeals.choices import AppealsPerm, Channel
from shegong.core.idempotency import (
    IdempotencyConflict,
    IdempotencyKeyInvalid,
    request_fingerprint,
    run_idempotent,
)
from shegong.core.models import IdempotencyKey
from shegong.core.scoping import covers, minimal_prefixes, prefixes_for
from shegong.divisions.models import Division
from shegong.divisions.selectors import pad_code
from shegong.open311 import catalogue, forms, present
from shegong.open311.render import Open311Error
from shegong.open311.selectors import jurisdiction, prefix_of

# Without an Idempotency-Key, an identical body counts as a retry within one or two of these windows.
RETRY_WINDOW = dt.timedelta(minutes=10)
COUNTY_PREFIX = 6  # a key scoped to a county (6 digits) or below names one place to file in

# Appeal fields as the Open311 client named them, for the service's refusals
_PARAMETER = {
    "text": "description",
    "address": "address_string",
    "phone": "phone",
    "platform": "attribute[platform]",
    "source_ref": "attribute[source_ref]",
    "division": "address_id",
    "category": "service_code",
}


def scope_of(user: Any) -> str:
    """The idempotency keys of one account's Open311 filings (tokens/{token} looks them up here)."""
    return f"open311.requests:user:{user.pk}"


def filing_prefixes(user: Any) -> list[str]:
    prefixes = prefixes_for(user, AppealsPerm.FILE) + prefixes_for(user, AppealsPerm.INTAKE)
    if not prefixes:
        raise Open311Error(403, _("This api_key may not file service requests."))
    return prefixes


def _address_division(value: str) -> Division | None:
    value = value.strip()
    if not value:
        return None
    code = pad_code(value)
    division = Division.objects.filter(code=code).first() if code else None
    if division is None:
        raise Open311Error(400, _("address_id {value} is not a division code.").format(value=value[:20]))
    return division


def filing_division(data: dict[str, Any], prefixes: list[str]) -> Division:
    where = jurisdiction(data.get("jurisdiction_id"))
    address = _address_division(data.get("address_id") or "")
    if address is not None and where is not None and not address.code.startswith(prefix_of(where)):
        raise Open311Error(
            400, _("address_id {a} is not inside jurisdiction_id {j}.").format(a=address.code, j=where.code)
        )
    chosen = address or where
    if chosen is None:
        own = minimal_prefixes(prefixes)
        if len(own) != 1 or len(own[0]) < COUNTY_PREFIX:
            raise Open311Error(
                400,
                _(
                    "Give address_id (the division code of the place, e.g. 210105001001) or jurisdiction_id: "
                    "this service cannot place lat/long or address_string in a division by itself."
                ),
            )
        chosen = Division.objects.get(code=own[0].ljust(12, "0"))
    if not covers(prefixes, chosen.code):
        raise Open311Error(
            403, _("This api_key may not file service requests in {name}.").format(name=chosen.name)
        )
    return chosen


def _payload(post: QueryDict) -> dict[str, list[str]]:
    """The body as the retry check sees it: every parameter but the key (the scope already names it)."""
    return {name: post.getlist(name) for name in sorted(post) if name != "api_key"}


def _recent_retry(scope: str, digest: str, bucket: int) -> tuple[int, Any] | None:
    """The answer to the same body in the window before this one (a retry across the windows' edge)."""
    row: tuple[int, Any] | None = (
        IdempotencyKey.objects.filter(scope=scope, key=f"body:{digest}:{bucket - 1}")
        .values_list("status_code", "response")
        .first()
    )
    return row


def file_request(*, user: Any, post: QueryDict, idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
    """Check, then file (or replay the first answer to a retry). Returns (status, the <request>'s fields)."""
    prefixes = filing_prefixes(user)
    data = forms.clean_request(post)
    category = catalogue.active_category(data["service_code"])
    if category is None:
        raise Open311Error(
            404, _("service_code {code} was not found.").format(code=data["service_code"][:40])
        )
    division = filing_division(data, prefixes)
    scope, payload = scope_of(user), _payload(post)
    if idempotency_key is None:
        digest = request_fingerprint(payload)
        bucket = int(timezone.now().timestamp() // RETRY_WINDOW.total_seconds())
        earlier = _recent_retry(scope, digest, bucket)
        if earlier is not None:
            return earlier[0], earlier[1]
        idempotency_key = f"body:{digest}:{bucket}"

    def effect() -> tuple[int, Any]:
        point = data["point"] or (None, None)
        appeal = services.appeal_submit(
            actor=None,  # a platform account is not staff: it is named in actor_label and filed_by
            actor_label=user.get_username(),
            filed_by=user,
            source_ref=data["source_ref"],
            text=data["description"],
            division=division,
            phone=data["phone"],
            appeal_type=data["appeal_type"],
            worker_type=data["worker_type"],
            channel=Channel.OPEN311,
            category=category,
            platform=data["platform"],
            address=data["address_string"],
            lat=point[0],
            lng=point[1],
            anonymous=data["anonymous"],
        )
        notice = present.service_notice(appeal)
        return 201, {"service_request_id": appeal.tracking_no, "service_notice": notice, "account_id": None}

    try:
        result = run_idempotent(scope=scope, key=idempotency_key, payload=payload, effect=effect)
    except IdempotencyConflict as exc:
        raise Open311Error(400, _("This Idempotency-Key was used with a different request.")) from exc
    except IdempotencyKeyInvalid as exc:
        raise Open311Error(400, str(exc)) from exc
    except PermissionDenied as exc:
        raise Open311Error(403, _("This api_key may not file service requests here.")) from exc
    except ValidationError as exc:
        raise Open311Error(400, *_messages(exc)) from exc
    return result.status_code, result.body


def _messages(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [f"{_PARAMETER.get(name, name)}: {m}" for name, ms in exc.message_dict.items() for m in ms]
