"""Open311 API keys: how a platform enterprise (美团, 饿了么, 顺丰…) is let in to file through /open311/v2/.

A key is an `accounts.ApiToken` (only its SHA-256 is stored, `core.api.token_hash`) of a *platform account*:
a `User` holding `Role.PLATFORM_PARTNER` at one division, one account per platform × division, made with the
platform's first key there. The account cannot log in (no usable password); its `real_name` is the platform's
name. Because the key is an ordinary API token, the same key also works as a bearer token on /api/v1/appeals
with the same rights (file inside the division, read what it filed). `shegong open311 key …` runs these.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shegong.accounts import services as accounts
from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken, Grant, User
from shegong.core import audit
from shegong.core.api import token_hash
from shegong.divisions import codes
from shegong.divisions.models import Division
from shegong.open311.audit_actions import Open311Action

ACCOUNT_PREFIX = "open311-"
KEY_PREFIX = "sg_"  # the same shape as accounts' tokens: the key is one
PREFIX_LENGTH = 8  # ApiToken.prefix: "sg_" and five characters of the key
PLATFORM_MAX_LENGTH = 50  # User.real_name


@dataclass(frozen=True)
class KeyInfo:
    """One key as `key list` shows it: never the key itself, which is not stored."""

    id: int
    platform: str
    account: str
    division_code: str
    division_prefix: str
    division_name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None

    @property
    def active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


# --- names and places -------------------------------------------------------------------------------------
def normalise_platform(name: str) -> str:
    """The platform's name as stored: NFKC (full-width letters folded), inner spaces collapsed."""
    value = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not value:
        raise ValidationError({"platform": _("Give the platform's name, e.g. 美团.")})
    if len(value) > PLATFORM_MAX_LENGTH:
        raise ValidationError(
            {"platform": _("A platform name has at most {n} characters.").format(n=PLATFORM_MAX_LENGTH)}
        )
    return value


def division_for_prefix(value: str) -> Division:
    """The division a prefix or code names: `210105`, `210105000000`; a 6-digit city code such as `210100`
    names the city (what people write from the GB/T 2260 list). Unknown → ValidationError."""
    try:
        prefix = codes.normalise_prefix(value or "")
    except ValidationError as exc:
        raise ValidationError({"division": exc.messages}) from exc
    if not prefix:
        raise ValidationError(
            {"division": _("Give the division the key may file in, as a code prefix such as 210105.")}
        )
    division = Division.objects.filter(code=prefix.ljust(12, "0")).first()
    if division is None:
        raise ValidationError(
            {
                "division": _(
                    "There is no division with the code {code}; check the code, or import the division "
                    "code list first (shegong seed divisions)."
                ).format(code=prefix)
            }
        )
    return division


def _slug(platform: str) -> str:
    """An ASCII slug for the account name; Chinese names (no ASCII letters) get a short stable hash."""
    ascii_slug = slugify(platform)[:40].strip("-")
    return ascii_slug or "p" + hashlib.sha256(platform.casefold().encode()).hexdigest()[:8]


# --- the platform account ---------------------------------------------------------------------------------
def _platform_account(*, platform: str, division: Division, actor: Any) -> tuple[User, bool]:
    """The account of `platform` at `division`, created (with its grant) on the first key. Returns
    (account, created)."""
    account = (
        User.objects.filter(
            username__startswith=ACCOUNT_PREFIX,
            real_name__iexact=platform,
            grants__role=Role.PLATFORM_PARTNER,
            grants__division=division,
        )
        .order_by("pk")
        .first()
    )
    if account is not None:
        if not account.is_active:
            raise ValidationError(
                _(
                    "The platform account {username} has been disabled; an administrator must enable it "
                    "again before it can have keys."
                ).format(username=account.username)
            )
        if not account.grants.filter(role=Role.PLATFORM_PARTNER, division=division, is_active=True).exists():
            accounts.grant_add(user=account, role=Role.PLATFORM_PARTNER, division=division, actor=actor)
        return account, False
    username = f"{ACCOUNT_PREFIX}{_slug(platform)}-{division.prefix}"
    if User.objects.filter(username__iexact=username).exists():
        # Another platform whose name slugs the same ("Didi" / "DiDi!"): keep both apart with a hash.
        digest = hashlib.sha256(platform.encode()).hexdigest()[:8]
        username = f"{ACCOUNT_PREFIX}{_slug(platform)}-{digest}-{division.prefix}"
    account = accounts.user_create(
        actor=actor,
        username=username,
        real_name=platform,
        division=division,
        must_change_password=False,
    )
    accounts.grant_add(user=account, role=Role.PLATFORM_PARTNER, division=division, actor=actor)
    return account, True


# --- services ---------------------------------------------------------------------------------------------
@transaction.atomic
def key_create(*, platform: str, division: str | Division, actor: Any = None) -> tuple[ApiToken, str]:
    """A new key for `platform` filing inside `division` (a prefix or a Division). The raw key is returned
    this once; only its hash is stored. The platform's account there is made with its first key."""
    name = normalise_platform(platform)
    place = division if isinstance(division, Division) else division_for_prefix(division)
    # One key creation per division at a time, so two first keys cannot make two accounts.
    Division.objects.select_for_update().filter(pk=place.pk).first()
    account, created = _platform_account(platform=name, division=place, actor=actor)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=account,
        name=f"Open311 · {name}"[:80],
        prefix=raw[:PREFIX_LENGTH],
        key_hash=token_hash(raw),
    )
    token.full_clean()
    token.save()
    audit.record(
        action=Open311Action.KEY_CREATED,
        actor=actor,
        target=account,
        target_label=f"{account.username} · {name}",
        division_code=place.code,
        changes={
            "token": token.pk,
            "prefix": token.prefix,
            "platform": name,
            "division": place.code,
            "account_created": created,
        },
    )
    return token, raw


def _keys() -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(
            user__username__startswith=ACCOUNT_PREFIX,
            user__in=Grant.objects.filter(role=Role.PLATFORM_PARTNER).values("user"),
        )
        .select_related("user", "user__division")
        .order_by("user__real_name", "user__division_id", "created_at", "pk")
    )


def key_list(
    *, platform: str | None = None, division: str | None = None, include_revoked: bool = True
) -> list[KeyInfo]:
    """Every Open311 key (optionally of one platform, or inside one division), oldest first per account."""
    rows = _keys()
    if platform:
        rows = rows.filter(user__real_name__iexact=normalise_platform(platform))
    if division:
        rows = rows.filter(user__division__code__startswith=division_for_prefix(division).prefix)
    if not include_revoked:
        rows = rows.filter(revoked_at__isnull=True)
    return [_info(token) for token in rows]


def _info(token: ApiToken) -> KeyInfo:
    place = token.user.division
    return KeyInfo(
        id=token.pk,
        platform=token.user.real_name,
        account=token.user.username,
        division_code=place.code if place else "",
        division_prefix=place.prefix if place else "",
        division_name=place.name if place else "",
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        expires_at=token.expires_at,
    )


def _find(value: str) -> ApiToken:
    """The key named by its id, its prefix (as `key list` shows it, with or without the ellipsis) or the
    whole key."""
    text = value.strip().rstrip("…").rstrip(".")
    rows = _keys()
    matches: list[ApiToken]
    if not text:
        matches = []
    elif text.isascii() and text.isdigit():
        matches = list(rows.filter(pk=int(text)))
    elif len(text) > PREFIX_LENGTH:
        matches = list(rows.filter(key_hash=token_hash(text)))
    else:
        matches = list(rows.filter(prefix__startswith=text))
    if not matches:
        raise ValidationError(
            _("No Open311 key matches “{value}”; see shegong open311 key list.").format(value=value.strip())
        )
    if len(matches) > 1:
        raise ValidationError(
            _("“{value}” matches more than one key (ids {ids}); give the id.").format(
                value=value.strip(), ids=", ".join(str(t.pk) for t in matches)
            )
        )
    return matches[0]


@transaction.atomic
def key_revoke(*, prefix_or_id: str, actor: Any = None) -> ApiToken:
    """Revoke a key: it stops working at once (authentication reads `revoked_at`). Revoking a revoked key
    changes nothing and writes no audit row."""
    found = _find(prefix_or_id)
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=found.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            action=Open311Action.KEY_REVOKED,
            actor=actor,
            target=token.user,
            target_label=f"{token.user.username} · {token.user.real_name}",
            division_code=token.user.division_id or "",
            changes={"token": token.pk, "prefix": token.prefix, "platform": token.user.real_name},
        )
    return token
