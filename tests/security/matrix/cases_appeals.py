"""Appeals: desk pages and actions, hotline, supervision, catalogue, indicators, files, H5 pages, API."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import Channel, State
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Attachment,
    Category,
    DispatchRule,
    ExtensionRequest,
    RateExclusion,
    ReturnRecord,
    Supervision,
    TimeLimit,
)
from shegong.core.models import IdempotencyKey
from tests.security.matrix.registry import ANON, EVERYONE, WORKER, Case, Fx, register

R = Role
VIEW = {R.INTAKE, R.HANDLER, R.LEADER}
INTAKE = {R.INTAKE}
HANDLER = {R.HANDLER}
LEADER = {R.LEADER}
CATALOGUE = {R.PLATFORM_ADMIN}
WATCH = (
    Appeal,
    AppealEvent,
    ReturnRecord,
    ExtensionRequest,
    Supervision,
    Attachment,
    RateExclusion,
    IdempotencyKey,
)
WATCH_CATALOGUE = (Category, TimeLimit, DispatchRule)
# Categories and time limits are nationwide: only a nationwide catalogue manager edits them; the matrix's
# platform administrator holds a county grant and is refused (403) like every other role.
NATIONWIDE_ONLY: set[str] = set()
FORM_ERROR = 200  # the payload fails the form's validation: the page answers with the form (nothing written)


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, format="JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def appeal(state: str = State.SUBMITTED, **fields: Any) -> Any:
    def build(fx: Fx, side: str, marker: str) -> Appeal:
        return fx.appeal(side, marker, state, **fields)

    return build


def _with_extension(fx: Fx, side: str, marker: str) -> Appeal:
    obj = fx.appeal(side, marker, State.IN_PROGRESS)
    s.appeal_request_extension(appeal=obj, actor=fx.handler(side), days=3, reason="需协调平台总部")
    return Appeal.all_objects.get(pk=obj.pk)


def _supervised(fx: Fx, side: str, marker: str) -> Appeal:
    obj = fx.appeal(side, marker, State.IN_PROGRESS)
    s.appeal_supervise(appeal=obj, actor=None, note="超期未答复")
    return Appeal.all_objects.get(pk=obj.pk)


def _pair(fx: Fx, side: str, marker: str) -> Appeal:
    """An appeal with an `original` to merge into (same side)."""
    obj = fx.appeal(side, marker, State.SUBMITTED)
    obj.original = fx.appeal(side, marker + "O", State.ACCEPTED)  # type: ignore[attr-defined]
    return obj


def _attachment(fx: Fx, side: str, marker: str) -> Attachment:
    obj = fx.appeal(side, marker, State.SUBMITTED)
    from shegong.appeals.services.attachments import attachment_add

    return attachment_add(appeal=obj, upload=jpeg())


def _excluded(fx: Fx, side: str, marker: str) -> RateExclusion:
    from shegong.appeals.indicators.services import exclusion_add

    obj = fx.appeal(side, marker, State.CLOSED)
    return exclusion_add(appeal=obj, actor=fx.nationwide_leader(), reason=f"重复诉求 {marker}")


def _rule(fx: Fx, side: str, marker: str) -> DispatchRule:
    unit = fx.unit(side)
    unit.name = f"承办{marker}"
    unit.save(update_fields=["name"])
    return DispatchRule.objects.create(division=fx.division(side), category=None, unit=unit)


def _category(fx: Fx, side: str, marker: str) -> Category:
    return Category.objects.create(code=f"mx-{marker.lower()}", name=f"类别{marker}", order=999)


def desk(slug: str) -> Any:
    return lambda obj: f"/desk/appeals/{obj.tracking_no}/actions/{slug}/"


def api(path: str = "") -> Any:
    return lambda obj: f"/api/v1/appeals/{obj.tracking_no}{path}"


def versioned(**fields: Any) -> Any:
    return lambda obj: {"version": obj.version, **fields}


def _dispatch_form(obj: Appeal, fx: Fx) -> dict[str, Any]:
    unit = fx.unit("in" if obj.division_id.startswith("210105") else "out")
    return {"version": obj.version, "unit": unit.pk, "note": ""}


NO_PARTNER = {R.PLATFORM_PARTNER: 404}  # a platform's token sees no appeal it did not file
BEFORE_DISPATCH = {**NO_PARTNER, R.HANDLER: 404}  # a handler sees appeals once dispatched to the unit


def action(slug: str, build: Any, ok: set[str], fields: dict[str, Any] | None = None, **kw: Any) -> Case:
    payload = kw.pop("payload", versioned(**(fields or {})))
    kw.setdefault(
        "per_role", BEFORE_DISPATCH if slug in {"accept", "reject", "dispatch", "merge"} else NO_PARTNER
    )
    return Case(
        "appeals:desk_action",
        build,
        desk(slug),
        method="post",
        ok=ok,
        status=302,
        payload=payload,
        watch=WATCH,
        label=slug,
        **kw,
    )


def api_action(slug: str, build: Any, ok: set[str], fields: dict[str, Any] | None = None, **kw: Any) -> Case:
    payload = kw.pop("payload", versioned(**(fields or {})))
    kw.setdefault(
        "per_role", BEFORE_DISPATCH if slug in {"accept", "reject", "dispatch", "merge"} else NO_PARTNER
    )
    return Case(
        f"POST /api/v1/appeals/{{tracking_no}}/actions/{slug}",
        build,
        api(f"/actions/{slug}"),
        method="post",
        ok=ok,
        payload=payload,
        watch=WATCH,
        **kw,
    )


register(
    # --- desk: lists, detail, hotline, supervision ---
    Case("appeals:desk_list", appeal(), lambda obj: "/desk/appeals/", ok=VIEW, listing=True),
    Case(
        "appeals:desk_list",
        appeal(),
        lambda obj: "/desk/appeals/?queue=all&q=站点拖欠",
        ok=VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "appeals:desk_list",
        appeal(),
        lambda obj: f"/desk/appeals/?queue=all&division={obj.division_id}",
        ok=VIEW,
        label="division filter",
    ),
    Case(
        "appeals:desk_detail",
        appeal(State.DISPATCHED),
        lambda obj: f"/desk/appeals/{obj.tracking_no}/",
        ok=VIEW,
    ),
    Case(
        "appeals:desk_detail",
        appeal(State.DISPATCHED),
        lambda obj: f"/desk/appeals/{obj.tracking_no}/",
        method="post",
        ok={R.INTAKE, R.HANDLER},
        payload=lambda obj: {"reveal_field": "phone", "reason": "回访核实联系方式"},
        watch=WATCH,
        label="reveal phone",
    ),
    Case(
        "appeals:hotline_new",
        appeal(),
        lambda obj: f"/desk/appeals/hotline/new/?division={obj.division_id}",
        ok=INTAKE,
    ),
    Case(
        "appeals:hotline_new",
        appeal(),
        lambda obj: "/desk/appeals/hotline/new/",
        method="post",
        ok=INTAKE,
        status=302,
        out_status=200,
        watch=WATCH,
        payload=lambda obj: {
            "text": "来电反映站点拖欠配送费。",
            "division": obj.division_id,
            "phone": "13912345678",
            "appeal_type": "complaint",
            "worker_type": "food_delivery",
            "platform": "美团",
            "urgency": "normal",
        },
    ),
    Case(
        "appeals:supervision_list",
        _supervised,
        lambda obj: "/desk/appeals/supervision/",
        ok=LEADER,
        listing=True,
    ),
    Case(
        "appeals:supervision_list",
        _supervised,
        lambda obj: f"/desk/appeals/supervision/?division={obj.division_id}",
        ok=LEADER,
        label="division filter",
    ),
    # --- desk actions ---
    action("accept", appeal(), INTAKE, {"category": "", "urgency": "normal"}),
    action("reject", appeal(), INTAKE, {"reason": "与新就业群体无关"}),
    action("dispatch", appeal(State.ACCEPTED), INTAKE, payload=_dispatch_form),
    action("return", appeal(State.DISPATCHED), HANDLER, {"reason": "wrong_place", "note": ""}),
    action("sign-for", appeal(State.DISPATCHED), HANDLER),
    action("contact", appeal(State.IN_PROGRESS), HANDLER, {"note": "电话联系，约定周三到站点核实"}),
    action("reply", appeal(State.IN_PROGRESS), HANDLER, {"text": "站点已补发配送费。", "resolved": "yes"}),
    action("request-extension", appeal(State.IN_PROGRESS), HANDLER, {"days": 3, "reason": "需协调平台总部"}),
    action("supervise", appeal(State.IN_PROGRESS), LEADER, {"note": "请两日内答复", "deadline": ""}),
    action(
        "merge", _pair, INTAKE, payload=lambda obj: {"version": obj.version, "into": obj.original.tracking_no}
    ),
    action(
        "rate",
        appeal(State.REPLIED, channel=Channel.HOTLINE),
        INTAKE,
        {"resolved": "yes", "satisfaction": "satisfied", "comment": ""},
    ),
    action("withdraw", appeal(State.IN_PROGRESS), INTAKE, {"reason": "已自行解决"}),
    # --- files ---
    Case("appeals:attachment", _attachment, lambda obj: f"/desk/appeals/files/{obj.pk}/", ok=VIEW),
    # --- catalogue ---
    Case(
        "appeals:catalogue_categories",
        _category,
        lambda obj: "/desk/appeals/catalogue/categories/",
        ok=CATALOGUE,
        shows_out=True,
        public="",
        listing=True,
        note="categories are nationwide: no out-of-scope side",
    ),
    Case(
        "appeals:catalogue_category_create",
        _category,
        lambda obj: "/desk/appeals/catalogue/categories/new/",
        ok=CATALOGUE,
        listing=True,
    ),
    Case(
        "appeals:catalogue_category_create",
        _category,
        lambda obj: "/desk/appeals/catalogue/categories/new/",
        method="post",
        ok=CATALOGUE,
        listing=True,
        payload=lambda obj: {},
        watch=WATCH_CATALOGUE,
    ),
    *[
        Case(
            f"appeals:catalogue_category_{verb}",
            _category,
            (lambda v: lambda obj: f"/desk/appeals/catalogue/categories/{obj.pk}/{v}/")(verb),
            method=m,
            ok=CATALOGUE,
            shows_out=True,
            listing=True,
            watch=WATCH_CATALOGUE,
            payload=(lambda obj: {}) if m == "post" else None,
        )
        for verb in ("edit", "retire", "reactivate")
        for m in ("get", "post")
    ],
    Case(
        "appeals:catalogue_time_limits",
        _category,
        lambda obj: "/desk/appeals/catalogue/time-limits/",
        ok=CATALOGUE,
        listing=True,
        shows_out=True,
    ),
    *[
        Case(
            f"appeals:catalogue_time_limit_{name}",
            _category,
            (lambda p: lambda obj: f"/desk/appeals/catalogue/time-limits/_default/accept/normal/{p}")(path),
            method=m,
            ok=CATALOGUE,
            listing=True,
            watch=WATCH_CATALOGUE,
            payload=(lambda obj: {}) if m == "post" else None,
        )
        for name, path in (("edit", ""), ("reset", "reset/"))
        for m in ("get", "post")
    ],
    Case(
        "appeals:catalogue_rules",
        _rule,
        lambda obj: "/desk/appeals/catalogue/rules/",
        ok=CATALOGUE,
        listing=True,
    ),
    Case(
        "appeals:catalogue_rule_create",
        _rule,
        lambda obj: "/desk/appeals/catalogue/rules/new/",
        ok=CATALOGUE,
        listing=True,
    ),
    Case(
        "appeals:catalogue_rule_create",
        _rule,
        lambda obj: "/desk/appeals/catalogue/rules/new/",
        method="post",
        ok=CATALOGUE,
        status=302,
        out_status=200,
        watch=WATCH_CATALOGUE,
        payload=lambda obj: {"division": obj.division_id, "category": "", "unit": obj.unit_id},
    ),
    Case(
        "appeals:catalogue_rule_preview",
        _rule,
        lambda obj: f"/desk/appeals/catalogue/rules/preview/?division={obj.division_id}",
        ok=CATALOGUE,
    ),
    Case(
        "appeals:catalogue_division_options",
        _rule,
        lambda obj: "/desk/appeals/catalogue/rules/divisions/?q=街道",
        ok=CATALOGUE,
        listing=True,
    ),
    Case(
        "appeals:catalogue_unit_options",
        _rule,
        lambda obj: f"/desk/appeals/catalogue/rules/units/?division={obj.division_id}",
        ok=CATALOGUE,
    ),
    *[
        Case(
            f"appeals:catalogue_rule_{verb}",
            _rule,
            (lambda v: lambda obj: f"/desk/appeals/catalogue/rules/{obj.pk}/{v}/")(verb),
            method=m,
            ok=CATALOGUE,
            status=302 if m == "post" else 200,
            watch=WATCH_CATALOGUE,
            payload=(lambda obj: {"division": obj.division_id, "category": "", "unit": obj.unit_id})
            if m == "post"
            else None,
        )
        for verb in ("replace", "deactivate")
        for m in ("get", "post")
    ],
    # --- indicators (aggregates) and exclusions ---
    Case(
        "appeals:indicators",
        appeal(State.CLOSED),
        lambda obj: "/desk/appeals/indicators/",
        ok=VIEW,
        listing=True,
    ),
    Case(
        "appeals:indicators",
        appeal(State.CLOSED),
        lambda obj: f"/desk/appeals/indicators/?division={obj.division_id}",
        ok=VIEW,
        label="division filter",
    ),
    Case(
        "appeals:indicators_export",
        appeal(State.CLOSED),
        lambda obj: "/desk/appeals/indicators/export/",
        ok=VIEW,
        listing=True,
    ),
    Case(
        "appeals:exclude",
        appeal(State.CLOSED),
        lambda obj: f"/desk/appeals/indicators/exclude/{obj.tracking_no}/",
        ok=LEADER,
    ),
    Case(
        "appeals:exclude",
        appeal(State.CLOSED),
        lambda obj: f"/desk/appeals/indicators/exclude/{obj.tracking_no}/",
        method="post",
        ok=LEADER,
        status=302,
        payload=lambda obj: {"reason": "重复诉求，已合并处理"},
        watch=WATCH,
    ),
    # --- H5 (workers) ---
    Case(
        "appeals:h5_submit",
        appeal(),
        lambda obj: "/h5/appeals/new/",
        ok=EVERYONE,
        listing=True,
        public="the filing form",
    ),
    Case(
        "appeals:h5_submit",
        appeal(),
        lambda obj: "/h5/appeals/new/",
        method="post",
        ok=EVERYONE,
        listing=True,
        payload=lambda obj: {},
        public="the filing form with its errors (nothing written)",
        watch=WATCH,
    ),
    Case(
        "appeals:h5_places",
        appeal(),
        lambda obj: "/h5/appeals/new/places/?q=社区",
        ok=EVERYONE,
        listing=True,
        public="division names for the place picker",
        shows_out=True,
    ),
    Case(
        "appeals:h5_done",
        appeal(),
        lambda obj: f"/h5/appeals/done/{obj.tracking_no}/",
        ok=EVERYONE,
        public="the tracking number just filed",
    ),
    Case(
        "appeals:h5_track",
        appeal(),
        lambda obj: "/h5/appeals/track/",
        ok=EVERYONE,
        listing=True,
        public="the tracking form",
    ),
    Case(
        "appeals:h5_verify",
        appeal(),
        lambda obj: "/h5/appeals/verify/",
        ok=EVERYONE,
        listing=True,
        public="the SMS verification form",
    ),
    Case(
        "appeals:h5_verify",
        appeal(),
        lambda obj: "/h5/appeals/verify/",
        method="post",
        ok=EVERYONE,
        listing=True,
        payload=lambda obj: {},
        public="the form's errors",
    ),
    Case(
        "appeals:h5_forget",
        appeal(),
        lambda obj: "/h5/appeals/verify/leave/",
        method="post",
        ok=EVERYONE,
        status=302,
        listing=True,
        public="forgets the verified phone",
    ),
    Case(
        "appeals:h5_mine",
        appeal(),
        lambda obj: "/h5/appeals/mine/",
        ok={WORKER},
        listing=True,
        per_role={ANON: 302},
        denied=302,
    ),
    Case(
        "appeals:h5_detail",
        appeal(),
        lambda obj: f"/h5/appeals/{obj.tracking_no}/",
        ok={WORKER},
        denied=302,
        per_role={ANON: 302},
    ),
    Case(
        "appeals:h5_rate",
        appeal(State.REPLIED),
        lambda obj: f"/h5/appeals/{obj.tracking_no}/rate/",
        method="post",
        ok={WORKER},
        status=302,
        denied=302,
        per_role={ANON: 302},
        watch=WATCH,
        payload=lambda obj: {"resolved": "yes", "satisfaction": "satisfied", "comment": ""},
    ),
    Case(
        "appeals:h5_withdraw",
        appeal(State.IN_PROGRESS),
        lambda obj: f"/h5/appeals/{obj.tracking_no}/withdraw/",
        ok={WORKER},
        denied=302,
        per_role={ANON: 302},
    ),
    Case(
        "appeals:h5_withdraw",
        appeal(State.IN_PROGRESS),
        lambda obj: f"/h5/appeals/{obj.tracking_no}/withdraw/",
        method="post",
        ok={WORKER},
        status=302,
        denied=302,
        per_role={ANON: 302},
        watch=WATCH,
        payload=lambda obj: {"reason": "已自行解决"},
    ),
    Case(
        "appeals:h5_attachment",
        _attachment,
        lambda obj: f"/h5/appeals/{obj.appeal.tracking_no}/photos/{obj.pk}/",
        ok={WORKER},
        denied=302,
        per_role={ANON: 302},
    ),
    # --- API ---
    # a platform's token lists the appeals it filed (none of these): 200 with no item
    Case(
        "GET /api/v1/appeals",
        appeal(),
        lambda obj: "/api/v1/appeals",
        ok={*VIEW, R.PLATFORM_PARTNER},
        listing=True,
    ),
    Case(
        "GET /api/v1/appeals",
        appeal(),
        lambda obj: f"/api/v1/appeals?division={obj.division_id}",
        ok=VIEW,
        label="division filter",
    ),
    Case(
        "GET /api/v1/appeals",
        appeal(),
        lambda obj: "/api/v1/appeals?q=站点拖欠",
        ok=VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "POST /api/v1/appeals",
        appeal(),
        lambda obj: "/api/v1/appeals",
        method="post",
        ok={R.PLATFORM_PARTNER},
        status=201,
        out_status=422,
        watch=WATCH,
        payload=lambda obj: {
            "text": "平台近三个月扣减配送费，申诉无回应。",
            "division": obj.division_id,
            "appeal_type": "complaint",
            "worker_type": "food_delivery",
            "phone": "13912345678",
            "platform": "美团",
            "source_ref": "MT-1",
        },
    ),
    Case(
        "GET /api/v1/appeals/categories",
        appeal(),
        lambda obj: "/api/v1/appeals/categories",
        ok=EVERYONE,
        listing=True,
        public="the active categories (no appeal data)",
    ),
    Case(
        "GET /api/v1/appeals/mine",
        appeal(),
        lambda obj: "/api/v1/appeals/mine",
        ok={WORKER},
        listing=True,
        denied=401,
        note="the verified phone's own appeals; staff sessions are not a worker's proof (401)",
    ),
    Case(
        "GET /api/v1/appeals/{tracking_no}",
        appeal(State.DISPATCHED),
        api(),
        ok={*VIEW, WORKER},
        per_role=NO_PARTNER,
    ),
    Case(
        "GET /api/v1/appeals/{tracking_no}/timeline",
        appeal(State.DISPATCHED),
        api("/timeline"),
        ok={*VIEW, WORKER},
        per_role=NO_PARTNER,
    ),
    api_action("accept", appeal(), INTAKE),
    api_action("reject", appeal(), INTAKE, {"reason": "与新就业群体无关"}),
    api_action(
        "dispatch",
        appeal(State.ACCEPTED),
        INTAKE,
        payload=lambda obj, fx: {
            "version": obj.version,
            "unit": fx.unit("in" if obj.division_id.startswith("210105") else "out").pk,
        },
    ),
    api_action("return", appeal(State.DISPATCHED), HANDLER, {"reason": "wrong_place"}),
    api_action("sign-for", appeal(State.DISPATCHED), HANDLER),
    api_action("contact", appeal(State.IN_PROGRESS), HANDLER, {"note": "电话联系了劳动者"}),
    api_action(
        "reply", appeal(State.IN_PROGRESS), HANDLER, {"text": "已督促站点结清配送费。", "resolved": True}
    ),
    api_action(
        "extension", appeal(State.IN_PROGRESS), HANDLER, {"days": 3, "reason": "需要劳动监察部门协同"}
    ),
    api_action("supervise", appeal(State.IN_PROGRESS), LEADER, {"note": "请两个工作日内答复劳动者"}),
    api_action(
        "merge", _pair, INTAKE, payload=lambda obj: {"version": obj.version, "into": obj.original.tracking_no}
    ),
    api_action("withdraw", appeal(State.IN_PROGRESS), {*INTAKE, WORKER}, {"reason": "劳动者来电撤回"}),
    api_action(
        "rate",
        appeal(State.REPLIED),
        {*INTAKE, WORKER},
        {"resolved": True, "satisfaction": "satisfied", "comment": "来电回访"},
    ),
)
_ = ANON


# --- reviewed answers that differ from the generic rule (each checked: no data shown, nothing written) ---
def _amend(case_id: str, **changes: Any) -> None:
    from tests.security.matrix.registry import _CASES

    case = _CASES[case_id]
    for name, value in changes.items():
        setattr(case, name, value)


_PARTNER_403 = {R.PLATFORM_PARTNER: 403}  # desk pages: a platform account is no desk user (403)
for _slug in ("accept", "reject", "dispatch", "merge"):
    _amend(
        f"appeals:desk_action POST [{_slug}]",
        per_role={R.HANDLER: 404, **_PARTNER_403},
        out_per_role=_PARTNER_403,
    )
for _slug in ("contact", "rate", "reply", "request-extension", "return", "sign-for", "supervise", "withdraw"):
    _amend(f"appeals:desk_action POST [{_slug}]", per_role=_PARTNER_403, out_per_role=_PARTNER_403)
# a platform token lists the appeals it filed itself (none here): 200 without any item
for _cid in ("GET /api/v1/appeals [division filter]", "GET /api/v1/appeals [search]"):
    _amend(_cid, ok=frozenset({*VIEW, R.PLATFORM_PARTNER}))
_amend("GET /api/v1/appeals [division filter]", out_per_role={R.PLATFORM_PARTNER: 200})
# filing through the API takes a bearer token (platforms) or a verified worker's session, never a desk session
_amend("POST /api/v1/appeals", session=False, per_role={WORKER: 400})
# the handler sees an appeal once it is dispatched to the unit; this photo's appeal is not
_amend("appeals:attachment GET", per_role={R.HANDLER: 404})
# categories and time limits are nationwide: a county platform administrator is refused (403)
for _cid in [
    c
    for c in list(__import__("tests.security.matrix.registry", fromlist=["_CASES"])._CASES)
    if c.startswith(("appeals:catalogue_category_", "appeals:catalogue_time_limit_"))
]:
    _amend(_cid, ok=frozenset())
# these payloads fail the form's validation: the form comes back (nothing written); authorization is what
# the matrix checks here
_amend("appeals:catalogue_rule_create POST", status=200)
_amend("appeals:catalogue_rule_replace POST", status=200)
_amend("appeals:exclude POST", status=200)
_amend("appeals:hotline_new POST", status=400, out_status=400)
# a division outside the grant: the preview shows "no rule", the unit picker no options (nothing of it shown)
_amend("appeals:catalogue_rule_preview GET", out_status=200)
_amend("appeals:catalogue_unit_options GET", out_status=200)
# H5: the public tracking page (state only) and the "filed" page answer anyone; a photo only the phone's owner
_amend(
    "appeals:h5_detail GET",
    ok=frozenset(EVERYONE),
    out_status=200,
    public="by tracking number: state and dates; the text and photos only to the verified phone",
)
_amend("appeals:h5_done GET", out_status=200)
_amend("appeals:h5_attachment GET", denied=404, per_role={})
_amend("appeals:h5_rate POST", status=200, out_status=302)
_amend("appeals:h5_withdraw GET", out_status=302)
_amend("appeals:h5_withdraw POST", status=200, out_status=302)


register(
    action("decide-extension", _with_extension, LEADER, {"decision": "approve", "note": ""}),
    api_action("extension-decision", _with_extension, LEADER, {"approve": True, "note": "同意"}),
    Case(
        "appeals:exclusions",
        _excluded,
        lambda obj: "/desk/appeals/indicators/exclusions/",
        ok=VIEW,
        listing=True,
    ),
    Case(
        "appeals:exclusion_lift",
        _excluded,
        lambda obj: f"/desk/appeals/indicators/exclusions/{obj.pk}/lift/",
        ok=LEADER,
    ),
    Case(
        "appeals:exclusion_lift",
        _excluded,
        lambda obj: f"/desk/appeals/indicators/exclusions/{obj.pk}/lift/",
        method="post",
        ok=LEADER,
        status=302,
        payload=lambda obj: {"reason": "误判，恢复计入"},
        watch=WATCH,
    ),
    Case(
        "POST /api/v1/appeals/{tracking_no}/attachments",
        appeal(),
        api("/attachments"),
        method="post",
        ok={R.INTAKE, WORKER},
        status=201,
        watch=WATCH,
        payload=lambda obj: {"file": jpeg()},
        multipart=True,
        per_role=NO_PARTNER,
    ),
)
_amend("appeals:desk_action POST [decide-extension]", per_role=_PARTNER_403, out_per_role=_PARTNER_403)
_amend("GET /api/v1/appeals [division filter]", out_per_role={})
# the staff photo view: a handler sees the photo once the appeal is dispatched to the unit; this one is not
_amend("appeals:attachment GET", ok=frozenset({R.INTAKE, R.LEADER}), per_role={R.HANDLER: 404})
# a worker's photo: 404 to anyone but the verified phone that filed it (no redirect that would confirm it)
_amend("appeals:h5_attachment GET", denied=404, per_role={ANON: 404})
# platforms file with an Idempotency-Key (required)
_amend("POST /api/v1/appeals", headers=lambda obj: {"HTTP_IDEMPOTENCY_KEY": f"matrix-{obj.tracking_no}"})
# a verified worker files for itself, in any place (the H5 form's JSON twin): 201 on either side
_amend("POST /api/v1/appeals", per_role={WORKER: 201}, out_per_role={WORKER: 201})
_amend("POST /api/v1/appeals/{tracking_no}/attachments", per_role=BEFORE_DISPATCH)
_amend("POST /api/v1/appeals", out_status=403)  # a platform files only inside its own grant


# --- H5 privacy (the worker's own data: see, download, erase) — only the verified phone's appeals ---------
_VERIFY_FIRST = {"denied": 302, "per_role": {ANON: 302}}  # anyone else is sent to the SMS verification
register(
    Case(
        "appeals:h5_privacy",
        appeal(),
        lambda obj: "/h5/appeals/privacy/",
        ok={WORKER},
        listing=True,
        **_VERIFY_FIRST,
    ),
    Case(
        "appeals:h5_privacy_download",
        appeal(),
        lambda obj: "/h5/appeals/privacy/download/?format=json",
        ok={WORKER},
        listing=True,
        label="json",
        **_VERIFY_FIRST,
    ),
    Case(
        "appeals:h5_privacy_download",
        appeal(),
        lambda obj: "/h5/appeals/privacy/download/?format=xlsx",
        ok={WORKER},
        listing=True,
        label="xlsx",
        **_VERIFY_FIRST,
    ),
    Case(
        "appeals:h5_privacy_erase",
        appeal(),
        lambda obj: "/h5/appeals/privacy/delete/",
        ok={WORKER},
        listing=True,
        **_VERIFY_FIRST,
    ),
    Case(
        "appeals:h5_privacy_erase",
        appeal(),
        lambda obj: "/h5/appeals/privacy/delete/",
        method="post",
        ok={WORKER},
        status=200,
        listing=True,
        payload=lambda obj: {"confirm": "on"},
        watch=WATCH,
        note="the form wants more than the box (it answers with the form); who may post is what is checked",
        **_VERIFY_FIRST,
    ),
)
