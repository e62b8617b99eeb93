"""JSON API: /api/v1/appeals (docs/appeals-api.md).

Three kinds of caller:
- staff (desk session or bearer token of an account holding appeals:appeal:view) read the appeals of their
  jurisdiction (`appeals_visible_to`) and act on them with the permission each transition needs;
- a platform enterprise's account (Role.PLATFORM_PARTNER: appeals:appeal:file at a division prefix) files
  appeals with a bearer token and reads only the appeals it filed;
- a worker's browser session that verified a phone by SMS code (appeals.verified) files, lists its own
  appeals, reads them, withdraws and rates.

Out of the caller's scope → 404; in scope but not permitted → 403; refused by a service → 422; the state
or version moved on → 409. Creating needs an `Idempotency-Key` header (a missing one is a 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, UploadedFile
from ninja.params import functions as param
from ninja.responses import Status
from ninja.security import APIKeyCookie

from shegong.appeals import services
from shegong.appeals.choices import AppealsPerm, Channel, ExtensionStatus
from shegong.appeals.filtering import AppealFilter, apply_filter
from shegong.appeals.h5 import selectors as worker_selectors
from shegong.appeals.models import Appeal, Category, ExtensionRequest
from shegong.appeals.schemas import (
    AcceptIn,
    AppealCreatedOut,
    AppealIn,
    AppealListItemOut,
    AppealListQuery,
    AppealOut,
    AttachmentOut,
    CategoryOut,
    ContactIn,
    DispatchIn,
    EventOut,
    ExtensionDecisionIn,
    ExtensionIn,
    MergeIn,
    PageQuery,
    RateIn,
    RejectIn,
    ReplyIn,
    ReturnIn,
    SuperviseIn,
    VersionIn,
    WithdrawIn,
)
from shegong.appeals.selectors import appeal_timeline, appeals_filed_by, appeals_visible_to
from shegong.appeals.services import common
from shegong.appeals.services.attachments import attachment_add
from shegong.appeals.tracking import normalise_tracking_no
from shegong.appeals.verified import verified_phone
from shegong.core import pii
from shegong.core.api import BearerTokenAuth, Page, StaffSessionAuth, paginate
from shegong.core.idempotency import run_idempotent
from shegong.core.scoping import covers, has_perm_on, prefixes_for
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit
from shegong.divisions.selectors import pad_code


@dataclass(frozen=True)
class Worker:
    """The caller is a worker's browser session holding a verified phone (no account)."""

    phone: str


class VerifiedPhoneAuth(APIKeyCookie):
    """A browser session that proved a phone by SMS code (appeals.verified); CSRF-checked on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Worker | None:
        phone = verified_phone(request)
        return Worker(phone) if phone else None


# The token first: a system sending one has no CSRF cookie, and a forged browser request cannot set it.
TOKEN, STAFF, WORKER = BearerTokenAuth(), StaffSessionAuth(csrf=True), VerifiedPhoneAuth(csrf=True)

router = Router(tags=["appeals"], auth=[TOKEN, STAFF])

COORD_STEP = Decimal("0.000001")  # the model keeps six decimals (about 0.1 m)


# --- who may read what -------------------------------------------------------------------------------------
def _readable(request: HttpRequest) -> Any:
    """The appeals this caller may read: a worker session its phone's, staff their jurisdiction's, a
    platform account those it filed. A caller holding none of these anywhere gets 403."""
    who = request.auth  # type: ignore[attr-defined]
    if isinstance(who, Worker):
        # The verified phone is the scope: the same read as the worker's H5 pages.
        return worker_selectors.my_appeals(request)
    if prefixes_for(who, AppealsPerm.VIEW):
        return appeals_visible_to(user=who)
    if prefixes_for(who, AppealsPerm.FILE):
        return appeals_filed_by(user=who)
    raise PermissionDenied


def _is_staff(request: HttpRequest) -> bool:
    who = request.auth  # type: ignore[attr-defined]
    return not isinstance(who, Worker) and bool(prefixes_for(who, AppealsPerm.VIEW))


def _get(request: HttpRequest, tracking_no: str) -> Appeal:
    appeal: Appeal | None = (
        _readable(request)
        .select_related("merged_into")
        .filter(tracking_no=normalise_tracking_no(tracking_no))
        .first()
    )
    if appeal is None:
        raise Http404
    return appeal


def _actor(request: HttpRequest) -> Any:
    """The account acting, or None for a worker session (the services' "the worker")."""
    who = request.auth  # type: ignore[attr-defined]
    return None if isinstance(who, Worker) else who


def _base(request: HttpRequest) -> str:
    """The collection's URL (/api/v1/appeals) in the API that serves this request."""
    namespace = request.resolver_match.namespace if request.resolver_match else "api"
    return reverse(f"{namespace}:appeals")


def _render(request: HttpRequest, appeal: Appeal, *, base: str) -> dict[str, Any]:
    who = request.auth  # type: ignore[attr-defined]
    staff = _is_staff(request)
    # anonymous: the handling unit does not see the worker's phone; intake and leaders still do
    show_phone = not (
        staff
        and appeal.anonymous
        and has_perm_on(who, AppealsPerm.HANDLE, appeal)
        and not has_perm_on(who, AppealsPerm.INTAKE, appeal)
    )
    extension = appeal.extension_requests.first() if staff and appeal.extension_used else None
    return AppealOut.render(appeal, base=base, show_phone=show_phone, extension=extension)


def _after(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    """The appeal as it is after an action, read again through the caller's scope."""
    fresh = _readable(request).select_related("merged_into").filter(pk=appeal.pk).first()
    if fresh is None:
        # 退单 takes the appeal away from the unit that just returned it: show it as it left them
        fresh = Appeal.all_objects.select_related("category", "unit", "division", "merged_into").get(
            pk=appeal.pk
        )
    return _render(request, fresh, base=_base(request))


# --- create ------------------------------------------------------------------------------------------------
def _division(code: str) -> Division:
    division = Division.objects.filter(code=pad_code(code)).first() if pad_code(code) else None
    if division is None:
        raise ValidationError({"division": _("No division has this code.")})
    return division


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code.strip()).first()
    if category is None:
        raise ValidationError({"category": _("No category has this code; see GET /categories.")})
    return category


def _coordinate(value: Decimal | None) -> Decimal | None:
    return value.quantize(COORD_STEP) if value is not None else None


@dataclass(frozen=True)
class _Filing:
    """Who files, as the create endpoint sees it."""

    scope: str  # of the idempotency keys: one account's, or one phone's
    filer: Any  # the platform (or intake) account; None for the worker's own filing
    channel: str
    phone: str
    actor_label: str
    prefixes: list[str]  # where the account may file


def _filing(request: HttpRequest, payload: AppealIn) -> _Filing:
    who = request.auth  # type: ignore[attr-defined]
    if isinstance(who, Worker):
        key = pii.blind_index(pii.PIIKind.PHONE, who.phone)
        return _Filing(f"appeals.create:phone:{key}", None, Channel.H5, who.phone, common.WORKER, [])
    prefixes = prefixes_for(who, AppealsPerm.FILE) + prefixes_for(who, AppealsPerm.INTAKE)
    if not prefixes:
        raise PermissionDenied
    phone = (payload.phone or "").strip()
    if not phone:
        raise ValidationError({"phone": _("Give the worker's mobile number.")})
    return _Filing(f"appeals.create:user:{who.pk}", who, Channel.API, phone, who.get_username(), prefixes)


@router.post(
    "",
    url_name="appeals",
    auth=[TOKEN, WORKER],
    response={201: AppealCreatedOut},
    summary="File an appeal (platform token or verified-phone session)",
)
def create_appeal(
    request: HttpRequest,
    payload: AppealIn,
    idempotency_key: Annotated[
        str,
        param.Header(
            alias="Idempotency-Key",
            description="Required. A retry with the same key and body returns the first answer; the same "
            "key with another body is a 422.",
        ),
    ],
) -> Status[Any]:
    """With a bearer token: channel `api`, filed by the token's account, which needs the file (or intake)
    permission over the division (outside it: 403). With a verified-phone browser session: channel `h5`,
    the session's phone. Answers 201 with the tracking number."""
    filing = _filing(request, payload)
    if (payload.lat is None) != (payload.lng is None):
        raise ValidationError({"lat": _("Give both latitude and longitude, or neither.")})
    # Read before the transaction: the insert's transaction stays short.
    division = _division(payload.division)
    if filing.filer is not None and not covers(filing.prefixes, division.code):
        raise PermissionDenied
    category = _category(payload.category)
    base = _base(request)

    def effect() -> tuple[int, Any]:
        appeal = services.appeal_submit(
            actor=None,  # a platform account is not staff: it is named in actor_label and filed_by
            actor_label=filing.actor_label,
            filed_by=filing.filer,
            source_ref=payload.source_ref if filing.filer is not None else "",
            text=payload.text,
            division=division,
            phone=filing.phone,
            appeal_type=payload.appeal_type.value,
            worker_type=payload.worker_type.value,
            channel=filing.channel,
            category=category,
            platform=payload.platform,
            address=payload.address,
            lat=_coordinate(payload.lat),
            lng=_coordinate(payload.lng),
            anonymous=payload.anonymous,
        )
        return 201, AppealCreatedOut.render(appeal, base=base)

    result = run_idempotent(
        scope=filing.scope, key=idempotency_key, payload=payload.model_dump(mode="json"), effect=effect
    )
    return Status(result.status_code, result.body)


# --- reads -------------------------------------------------------------------------------------------------
@router.get("/categories", auth=None, response=list[CategoryOut], summary="Categories in use (public)")
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    rows = Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code")
    return [CategoryOut.render(c, parent_code=c.parent.code if c.parent else None) for c in rows]


def _division_filter(request: HttpRequest, value: str) -> str:
    """The list's division prefix; one that does not meet the caller's jurisdiction is a 404."""
    try:
        prefix = codes.normalise_prefix(value)
    except ValidationError as exc:
        raise ValidationError({"division": exc.messages}) from exc
    who = request.auth  # type: ignore[attr-defined]
    if prefix and not isinstance(who, Worker):
        perm = AppealsPerm.VIEW if _is_staff(request) else AppealsPerm.FILE
        if not any(p.startswith(prefix) or prefix.startswith(p) for p in prefixes_for(who, perm)):
            raise Http404
    return prefix


def _page(request: HttpRequest, qs: Any, *, page: int, page_size: int) -> dict[str, Any]:
    # the phone is not listed: leave it encrypted in the database
    result = paginate(qs.defer("phone").order_by("-submitted_at", "-pk"), page=page, page_size=page_size)
    result["items"] = [AppealListItemOut.render(a) for a in result["items"]]
    return result


@router.get("", url_name="appeals", response=Page[AppealListItemOut], summary="Appeals you may see, filtered")
def list_appeals(request: HttpRequest, filters: Query[AppealListQuery]) -> dict[str, Any]:
    """Staff: the appeals of their jurisdiction (a unit's handler: their unit's); a platform account: the
    appeals it filed. Filters are those of the desk lists."""
    qs = _readable(request)
    appeal_filter = AppealFilter(
        queue=filters.queue.value if filters.queue else "",
        states=tuple(s.value for s in filters.state),
        category_id=filters.category,
        division_prefix=_division_filter(request, filters.division),
        unit_id=filters.unit,
        urgency=filters.urgency.value if filters.urgency else "",
        overdue=filters.overdue,
        channel=filters.channel.value if filters.channel else "",
        date_from=filters.date_from,
        date_to=filters.date_to,
        q=filters.q,
    )
    return _page(request, apply_filter(qs, appeal_filter), page=filters.page, page_size=filters.page_size)


@router.get("/mine", auth=[WORKER], response=Page[AppealListItemOut], summary="My appeals (verified phone)")
def my_appeals(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, Any]:
    """The appeals filed with the phone this browser session verified, newest first."""
    return _page(request, _readable(request), page=filters.page, page_size=filters.page_size)


@router.get("/{tracking_no}", auth=[TOKEN, STAFF, WORKER], response=AppealOut, summary="One appeal")
def get_appeal(request: HttpRequest, tracking_no: str) -> dict[str, Any]:
    """Staff see it with the phone masked; a platform account sees the appeals it filed; a worker session
    the appeals of its phone. Anything else is a 404."""
    appeal = _get(request, tracking_no)
    return _render(request, appeal, base=_base(request))


@router.get(
    "/{tracking_no}/timeline",
    auth=[TOKEN, STAFF, WORKER],
    response=list[EventOut],
    summary="An appeal's timeline",
)
def get_timeline(request: HttpRequest, tracking_no: str) -> list[dict[str, Any]]:
    """Staff see every entry with who acted; a platform account and the worker see the public entries."""
    appeal = _get(request, tracking_no)
    staff = _is_staff(request)
    return [EventOut.render(e, staff=staff) for e in appeal_timeline(appeal=appeal, public_only=not staff)]


# --- actions -----------------------------------------------------------------------------------------------
# One path per action, each with its own body; every body takes the optional `version` (409 when stale).
ACTION = "/{tracking_no}/actions/"


def _require(request: HttpRequest, perm: str, appeal: Appeal) -> None:
    """The service checks again on the locked row; checking first keeps a 403 from turning into a 422
    about the body (an unknown unit, category or appeal number)."""
    if not has_perm_on(request.auth, perm, appeal):  # type: ignore[attr-defined]
        raise PermissionDenied


def _staff_unit(request: HttpRequest, unit_id: int) -> Unit:
    unit = Unit.objects.visible_to(request.auth, AppealsPerm.DISPATCH).filter(pk=unit_id).first()  # type: ignore[attr-defined]
    if unit is None:
        raise ValidationError({"unit": _("No such unit in your jurisdiction.")})
    return unit


@router.post(ACTION + "accept", response=AppealOut, summary="Accept (待受理 → 待派单)")
def accept(request: HttpRequest, tracking_no: str, payload: AcceptIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    _require(request, AppealsPerm.INTAKE, appeal)
    category = _category(payload.category)
    urgency = payload.urgency.value if payload.urgency else None
    services.appeal_accept(
        appeal=appeal, actor=_actor(request), category=category, urgency=urgency, version=payload.version
    )
    return _after(request, appeal)


@router.post(ACTION + "reject", response=AppealOut, summary="Do not accept (不予受理)")
def reject(request: HttpRequest, tracking_no: str, payload: RejectIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_reject(
        appeal=appeal, actor=_actor(request), reason=payload.reason, version=payload.version
    )
    return _after(request, appeal)


@router.post(ACTION + "dispatch", response=AppealOut, summary="Dispatch (派单) or re-dispatch (转派)")
def dispatch(request: HttpRequest, tracking_no: str, payload: DispatchIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    _require(request, AppealsPerm.DISPATCH, appeal)
    unit = _staff_unit(request, payload.unit) if payload.unit is not None else None
    services.appeal_dispatch(
        appeal=appeal, actor=_actor(request), unit=unit, note=payload.note, version=payload.version
    )
    return _after(request, appeal)


@router.post(ACTION + "return", response=AppealOut, summary="Return to the dispatcher (退单)")
def return_(request: HttpRequest, tracking_no: str, payload: ReturnIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_return(
        appeal=appeal,
        actor=_actor(request),
        reason=payload.reason.value,
        note=payload.note,
        version=payload.version,
    )
    return _after(request, appeal)


@router.post(ACTION + "sign-for", response=AppealOut, summary="Sign for (签收)")
def sign_for(request: HttpRequest, tracking_no: str, payload: VersionIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_sign_for(appeal=appeal, actor=_actor(request), version=payload.version)
    return _after(request, appeal)


@router.post(ACTION + "contact", response=AppealOut, summary="Record contact with the worker")
def contact(request: HttpRequest, tracking_no: str, payload: ContactIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_record_contact(
        appeal=appeal, actor=_actor(request), note=payload.note, version=payload.version
    )
    return _after(request, appeal)


@router.post(ACTION + "reply", response=AppealOut, summary="Reply to the worker (答复)")
def reply(request: HttpRequest, tracking_no: str, payload: ReplyIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_reply(
        appeal=appeal,
        actor=_actor(request),
        text=payload.text,
        resolved=payload.resolved,
        version=payload.version,
    )
    return _after(request, appeal)


@router.post(ACTION + "extension", response=AppealOut, summary="Request an extension (延期)")
def extension(request: HttpRequest, tracking_no: str, payload: ExtensionIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_request_extension(
        appeal=appeal,
        actor=_actor(request),
        days=payload.days,
        reason=payload.reason,
        version=payload.version,
    )
    return _after(request, appeal)


@router.post(ACTION + "extension-decision", response=AppealOut, summary="Approve or refuse the extension")
def extension_decision(
    request: HttpRequest, tracking_no: str, payload: ExtensionDecisionIn
) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    _require(request, AppealsPerm.SUPERVISE, appeal)
    pending = ExtensionRequest.objects.filter(appeal=appeal, status=ExtensionStatus.PENDING).first()
    if pending is None:
        raise services.AppealConflict(_("No extension request is waiting for a decision."))
    services.appeal_decide_extension(
        request=pending,
        actor=_actor(request),
        approve=payload.approve,
        note=payload.note,
        version=payload.version,
    )
    return _after(request, appeal)


@router.post(ACTION + "supervise", response=AppealOut, summary="Supervise (督办)")
def supervise(request: HttpRequest, tracking_no: str, payload: SuperviseIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_supervise(
        appeal=appeal,
        actor=_actor(request),
        note=payload.note,
        deadline=payload.deadline,
        version=payload.version,
    )
    return _after(request, appeal)


@router.post(ACTION + "merge", response=AppealOut, summary="Merge into another appeal (duplicate)")
def merge(request: HttpRequest, tracking_no: str, payload: MergeIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    _require(request, AppealsPerm.INTAKE, appeal)
    into = (
        appeals_visible_to(user=request.auth)  # type: ignore[attr-defined]
        .filter(tracking_no=normalise_tracking_no(payload.into))
        .first()
    )
    if into is None:
        raise ValidationError({"into": _("No appeal with this number in your area.")})
    services.appeal_merge(appeal=appeal, into=into, actor=_actor(request), version=payload.version)
    return _after(request, appeal)


@router.post(
    ACTION + "withdraw",
    auth=[TOKEN, STAFF, WORKER],
    response=AppealOut,
    summary="Withdraw (the worker, or intake on the worker's word)",
)
def withdraw(request: HttpRequest, tracking_no: str, payload: WithdrawIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_withdraw(
        appeal=appeal, actor=_actor(request), reason=payload.reason, version=payload.version
    )
    return _after(request, appeal)


@router.post(
    ACTION + "rate",
    auth=[TOKEN, STAFF, WORKER],
    response=AppealOut,
    summary="Rate the reply (回访评价; the worker, or intake for a hotline call)",
)
def rate(request: HttpRequest, tracking_no: str, payload: RateIn) -> dict[str, Any]:
    appeal = _get(request, tracking_no)
    services.appeal_rate(
        appeal=appeal,
        actor=_actor(request),
        resolved=payload.resolved,
        satisfaction=payload.satisfaction.value,
        comment=payload.comment,
        version=payload.version,
    )
    return _after(request, appeal)


# --- photos ------------------------------------------------------------------------------------------------
@router.post(
    "/{tracking_no}/attachments",
    auth=[TOKEN, STAFF, WORKER],
    response={201: AttachmentOut},
    summary="Attach a photo (multipart; JPEG, PNG or WebP; at most 5 per appeal)",
)
def add_attachment(
    request: HttpRequest,
    tracking_no: str,
    file: Annotated[UploadedFile, param.File(description="The photo")],
    keep_location: Annotated[
        bool, param.Form(description="Keep the photo's GPS position (stripped by default)")
    ] = False,
) -> Status[Any]:
    """The worker's session, intake over the appeal's division, or the handler of the unit it is with,
    while the appeal is open. The photo is checked and re-encoded without its metadata; a bad photo or a
    sixth one is a 422, a closed appeal a 409."""
    appeal = _get(request, tracking_no)
    attachment = attachment_add(
        appeal=appeal, upload=file, actor=_actor(request), keep_location=keep_location
    )
    return Status(201, AttachmentOut.render(attachment))
