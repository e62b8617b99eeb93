"""Input-hardening test support: a jurisdiction whose every free-text field holds an XSS payload, the pages
that show them (desk, H5, dashboard) with the session each needs, and the checks on rendered HTML.

`poison(world)` builds the data through the services (the way users would enter it) and returns a
`Poisoned` holding the objects, the users who see them and `pages()`: (name, path, who) for every page
that renders one of the payloads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from shegong.accounts import services as account_services
from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.appeals import catalogue
from shegong.appeals import services as s
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealType, Channel, ReturnReason, Satisfaction, WorkerType
from shegong.appeals.indicators.services import exclusion_add
from shegong.appeals.models import Appeal, Category
from shegong.appeals.verified import SESSION_KEY
from shegong.core import pii
from shegong.core.models import AuditEvent
from shegong.divisions import services as unit_services
from shegong.divisions.models import Division, Unit
from shegong.smart.hotspots import services as hotspot_services
from shegong.smart.hotspots.choices import AlertKind
from shegong.smart.hotspots.models import HotspotAlert
from tests.support.world import World
from tests.web.html import csp_problems

PHONE = "13800138000"
# Chinese words around the payloads, so the classifier and the duplicate finder see a real appeal.
STORY = "幸福里小区的保安不让外卖电动车进小区，只能把餐放在门口，顾客投诉没送上楼。"

# What an attacker types. Each one, were it rendered raw, would set window.__xss (or show 49).
SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x onerror="window.__xss=1">'
SVG = "<svg onload=window.__xss=1>"
QUOTE = "'><img src=x onerror=window.__xss=1>"
TEMPLATE = "{{7*7}}"
JS_URL = "javascript:window.__xss=1"
PAYLOADS = (SCRIPT, IMG, SVG, QUOTE, TEMPLATE, JS_URL)

# Every payload at once, for the long fields (the 甲 makes it readable text to a classifier and a search).
ALL = "甲" + SCRIPT + IMG + SVG + QUOTE + TEMPLATE
# For fields of 120 characters.
MEDIUM = "丙" + SCRIPT + IMG + TEMPLATE
# For fields of 50–60 characters.
SHORT = "乙" + SVG + TEMPLATE

# Markup that must never reach a page raw (a tag an HTML parser would build).
RAW_MARKERS = ("<script>window.__xss", "<img src=x onerror", "<svg onload")
ESCAPED_SCRIPT = "&lt;script&gt;window.__xss=1&lt;/script&gt;"
ESCAPED_SVG = "&lt;svg onload=window.__xss=1&gt;"


def marked(tag: str, payload: str = ALL) -> str:
    """A payload with a readable tag, so a test can tell which field a rendered text came from."""
    return f"{tag}{payload}"


@dataclass
class Poisoned:
    world: World
    nationwide_admin: User
    admin: User
    intake: User
    handler: User
    leader: User
    auditor: User
    security_admin: User
    staff: User  # the account whose real name is a payload
    community: Division  # a community whose name is a payload
    unit: Unit
    category: Category
    closed: Appeal  # every handling note on its timeline; rated with a comment; excluded from the rates
    rejected: Appeal
    withdrawn: Appeal
    open_one: Appeal  # in progress, supervised, extension pending: the desk's action forms and duplicates
    twin: Appeal  # the open appeal's near twin (smart duplicates)
    alert: HotspotAlert
    dismissed: HotspotAlert
    task: Any
    texts: dict[str, str] = field(default_factory=dict)  # field name → what was typed

    def pages(self) -> list[tuple[str, str, str]]:
        """(name, path, who); who: a role attribute of self, "worker" (a phone session) or "anonymous"."""
        detail = lambda a: reverse("appeals:desk_detail", kwargs={"tracking_no": a.tracking_no})  # noqa: E731
        h5 = lambda a: reverse("appeals:h5_detail", kwargs={"tracking_no": a.tracking_no})  # noqa: E731
        pages = [
            # desk: queues, search, detail, supervision, duplicates
            *[
                (f"queue {q}", f"{reverse('appeals:desk_list')}?queue={q}", "intake")
                for q in ("to_accept", "all", "open", "closed")
            ],
            ("search", f"{reverse('appeals:desk_list')}?queue=all&q=%E7%94%B2", "intake"),
            ("handler queue", f"{reverse('appeals:desk_list')}?queue=to_handle", "handler"),
            ("detail closed (intake)", detail(self.closed), "intake"),
            ("detail closed (leader)", detail(self.closed), "leader"),
            ("detail open (handler)", detail(self.open_one), "handler"),
            ("detail open (leader)", detail(self.open_one), "leader"),
            ("detail open (intake)", detail(self.open_one), "intake"),
            ("detail rejected", detail(self.rejected), "intake"),
            ("detail withdrawn", detail(self.withdrawn), "intake"),
            ("supervision", reverse("appeals:supervision_list"), "leader"),
            (
                "duplicates",
                reverse("smart:desk_duplicates", kwargs={"tracking_no": self.open_one.tracking_no}),
                "intake",
            ),
            ("desk home", reverse("desk:home"), "intake"),
            # indicators
            ("indicators units", f"{reverse('appeals:indicators')}?period=this_month&group=unit", "leader"),
            ("indicators divisions", f"{reverse('appeals:indicators')}?period=this_month", "leader"),
            (
                "indicators categories",
                f"{reverse('appeals:indicators')}?period=this_month&group=category",
                "leader",
            ),
            ("exclusions", reverse("appeals:exclusions"), "leader"),
            # catalogue
            ("categories", reverse("appeals:catalogue_categories"), "nationwide_admin"),
            (
                "category edit",
                reverse("appeals:catalogue_category_edit", kwargs={"pk": self.category.pk}),
                "nationwide_admin",
            ),
            (
                "time limits",
                f"{reverse('appeals:catalogue_time_limits')}?category={self.category.pk}",
                "admin",
            ),
            ("rules", reverse("appeals:catalogue_rules"), "admin"),
            ("new rule", reverse("appeals:catalogue_rule_create"), "admin"),
            # units, accounts, audit
            ("units", reverse("units:list"), "admin"),
            ("unit", reverse("units:detail", kwargs={"pk": self.unit.pk}), "admin"),
            ("divisions", reverse("units:division", kwargs={"code": self.world.home_street.code}), "admin"),
            ("accounts", reverse("accounts:user_list"), "admin"),
            ("account search", f"{reverse('accounts:user_list')}?q=%E4%B9%99", "admin"),
            ("account", reverse("accounts:user_detail", kwargs={"pk": self.staff.pk}), "admin"),
            ("audit log", reverse("audit:list"), "auditor"),
            ("audit log filtered", f"{reverse('audit:list')}?target_type=divisions.unit", "auditor"),
            *[
                (f"audit event {event.action}", reverse("audit:detail", kwargs={"pk": event.pk}), "auditor")
                for event in self.audit_events()
            ],
            # H5
            ("h5 mine", reverse("appeals:h5_mine"), "worker"),
            ("h5 closed", h5(self.closed), "worker"),
            ("h5 rejected", h5(self.rejected), "worker"),
            ("h5 withdrawn", h5(self.withdrawn), "worker"),
            ("h5 open", h5(self.open_one), "worker"),
            ("h5 tracking (number only)", h5(self.closed), "anonymous"),
            (
                "h5 place picker",
                f"{reverse('appeals:h5_places')}?district={self.world.home.code}"
                f"&street={self.world.home_street.code}",
                "anonymous",
            ),
            # dashboard
            ("dashboard", reverse("dashboard:home"), "leader"),
            ("hotspots", reverse("hotspots:alert_list"), "leader"),
            ("hotspots all", f"{reverse('hotspots:alert_list')}?status=", "leader"),
            ("hotspot", reverse("hotspots:alert_detail", kwargs={"pk": self.alert.pk}), "leader"),
            (
                "hotspot dismissed",
                reverse("hotspots:alert_detail", kwargs={"pk": self.dismissed.pk}),
                "leader",
            ),
            ("hotspot task form", reverse("hotspots:task_create", kwargs={"pk": self.alert.pk}), "leader"),
            ("tasks", reverse("hotspots:task_list"), "leader"),
            ("task", reverse("hotspots:task_detail", kwargs={"pk": self.task.pk}), "leader"),
        ]
        return pages

    def audit_events(self) -> list[AuditEvent]:
        """One audit row of each action that carries a payload in a label or the diff."""
        chosen: dict[str, AuditEvent] = {}
        home = self.world.home.prefix
        for event in AuditEvent.objects.filter(division_code__startswith=home).order_by("pk"):
            text = f"{event.actor_label} {event.target_label} {event.changes}"
            if "__xss" in text:
                chosen.setdefault(event.action, event)
        return list(chosen.values())

    def user_for(self, who: str) -> User | None:
        return None if who in ("worker", "anonymous") else getattr(self, who)


def poison(world: World) -> Poisoned:
    """Build the poisoned jurisdiction (see the module docstring)."""
    texts: dict[str, str] = {}

    def typed(name: str, payload: str = ALL) -> str:
        texts[name] = marked(name, payload)
        return texts[name]

    nationwide_admin = world.nationwide(Role.PLATFORM_ADMIN)
    admin = world.user(Role.PLATFORM_ADMIN)
    intake = world.user(Role.INTAKE)
    leader = world.user(Role.LEADER)
    auditor = world.user(Role.AUDITOR)
    security_admin = world.user(Role.SECURITY_ADMIN)

    community = Division.objects.create(
        code="210105001077", name=typed("division", SHORT), level=12, parent=world.home_street, is_demo=True
    )
    unit = unit_services.unit_create(
        actor=admin, name=typed("unit", MEDIUM), unit_type="social_work_dept", division=world.home
    )
    handler = world.user(Role.HANDLER, world.home, unit=unit)
    staff = account_services.user_create(
        actor=admin,
        username="poisoned-staff",
        real_name=typed("real_name", SHORT),
        phone="13600136000",
        division=world.home,
    )
    parent = Category.objects.filter(parent=None, is_active=True).order_by("order").first()
    assert parent is not None
    category = catalogue.category_create(
        actor=nationwide_admin, parent=parent, code="XSS", name=typed("category", SHORT), scope=typed("scope")
    )
    catalogue.dispatch_rule_set(actor=admin, division=world.home, category=category, unit=unit)

    def submit(tag: str) -> Appeal:
        return s.appeal_submit(
            text=STORY + typed(f"{tag}.text"),
            division=community,
            phone=PHONE,
            appeal_type=AppealType.COMPLAINT,
            worker_type=WorkerType.FOOD_DELIVERY,
            channel=Channel.H5,
            platform=typed(f"{tag[:2]}.pf", SHORT),
            address=typed(f"{tag}.address"),
        )

    # The whole life of one appeal, a payload in every note.
    closed = submit("closed")
    closed = s.appeal_accept(appeal=closed, actor=intake, category=category)
    closed = s.appeal_dispatch(appeal=closed, actor=intake, unit=unit, note=typed("dispatch_note"))
    closed = s.appeal_return(
        appeal=closed, actor=handler, reason=ReturnReason.OTHER, note=typed("return_note")
    )
    closed = s.appeal_dispatch(appeal=closed, actor=intake, unit=unit, note=typed("dispatch_note_2"))
    closed = s.appeal_sign_for(appeal=closed, actor=handler)
    closed = s.appeal_record_contact(appeal=closed, actor=handler, note=typed("contact_note"))
    extension = s.appeal_request_extension(appeal=closed, actor=handler, days=2, reason=typed("extension"))
    s.appeal_decide_extension(request=extension, actor=leader, approve=True, note=typed("extension_decision"))
    closed.refresh_from_db()
    s.appeal_supervise(appeal=closed, actor=leader, note=typed("supervision_note"))
    closed.refresh_from_db()
    closed = s.appeal_reply(appeal=closed, actor=handler, text=typed("reply"), resolved=True)
    closed = s.appeal_rate(
        appeal=closed, resolved=True, satisfaction=Satisfaction.SATISFIED, comment=typed("rating_comment")
    )
    exclusion_add(appeal=closed, actor=leader, reason=typed("exclusion_reason"))

    rejected = s.appeal_reject(appeal=submit("rejected"), actor=intake, reason=typed("reject_reason"))
    withdrawn = s.appeal_withdraw(appeal=submit("withdrawn"), reason=typed("withdraw_reason"))

    open_one = submit("open")
    open_one = s.appeal_accept(appeal=open_one, actor=intake, category=category)
    open_one = s.appeal_dispatch(appeal=open_one, actor=intake, unit=unit)
    open_one = s.appeal_sign_for(appeal=open_one, actor=handler)
    s.appeal_request_extension(appeal=open_one, actor=handler, days=3, reason=typed("open_extension"))
    open_one.refresh_from_db()
    s.appeal_supervise(appeal=open_one, actor=leader, note=typed("open_supervision"))
    open_one.refresh_from_db()
    twin = s.appeal_submit(
        text=open_one.text.replace("open.text", "twin.text"),
        division=community,
        phone="13700137000",
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
        platform="美团",
        address=open_one.address,
    )
    twin = s.appeal_accept(appeal=twin, actor=intake, category=category)

    now = timezone.now()
    alert = HotspotAlert.all_objects.create(
        division=world.home_street,
        category=category,
        kind=AlertKind.CLUSTER,
        window_start=now - dt.timedelta(days=7),
        window_end=now,
        count=5,
        baseline=0.5,
        keywords=typed("alert.keywords", SHORT),
        sample=typed("alert.sample"),
    )
    alert.appeals.add(closed, open_one, twin)
    dismissed = HotspotAlert.all_objects.create(
        division=world.home_street,
        category=category,
        kind=AlertKind.SURGE,
        window_start=now - dt.timedelta(days=14),
        window_end=now - dt.timedelta(days=7),
        count=9,
        baseline=1.0,
        keywords=typed("dismissed.keywords", SHORT),
        sample=typed("dismissed.sample"),
    )
    hotspot_services.hotspot_dismiss(alert=dismissed, actor=leader, note=typed("dismiss_note"))
    task = hotspot_services.task_create(
        actor=leader,
        theme=typed("task.theme", MEDIUM),
        problems=typed("task.problems"),
        lead_unit=unit,
        deadline=(timezone.localdate() + dt.timedelta(days=30)),
        division=world.home,
        category=category,
    )
    hotspot_services.task_note(task=task, actor=leader, note=typed("task.note"))

    texts["twin.text"] = twin.text[len(STORY) :]
    # An audit row whose every text column holds a payload (the actor label of a username the validator
    # would refuse today, a target label and a diff of free text).
    AuditEvent.objects.create(
        actor_label=typed("audit.actor", SHORT),
        actor_role=Role.HANDLER,
        action=AppealsAction.CONTACTED,
        target_type="appeals.appeal",
        target_id=str(closed.pk),
        target_label=typed("audit.target"),
        division_code=community.code,
        changes={"note": [None, typed("audit.changes")], typed("audit.key", SHORT): [1, 2]},
    )
    for appeal in (closed, rejected, withdrawn, open_one, twin):
        appeal.refresh_from_db()
    return Poisoned(
        world=world,
        nationwide_admin=nationwide_admin,
        admin=admin,
        intake=intake,
        handler=handler,
        leader=leader,
        auditor=auditor,
        security_admin=security_admin,
        staff=staff,
        community=community,
        unit=unit,
        category=category,
        closed=closed,
        rejected=rejected,
        withdrawn=withdrawn,
        open_one=open_one,
        twin=twin,
        alert=alert,
        dismissed=dismissed,
        task=task,
        texts=texts,
    )


# --- sessions --------------------------------------------------------------------------------------------


def worker_client(phone: str = PHONE, *, enforce_csrf_checks: bool = False) -> Client:
    """A browser session that proved `phone` (as after the one-time code), without sending a code."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    session = client.session
    normal = pii.normalise(pii.PIIKind.PHONE, phone)
    session[SESSION_KEY] = {
        "phone": pii.encrypt(normal),
        "hash": pii.blind_index(pii.PIIKind.PHONE, normal),
        "until": (timezone.now() + dt.timedelta(minutes=30)).timestamp(),
    }
    session.save()
    client.cookies["sessionid"] = session.session_key  # type: ignore[index]
    return client


def client_for(poisoned: Poisoned, who: str, *, enforce_csrf_checks: bool = False) -> Client:
    if who == "worker":
        return worker_client(enforce_csrf_checks=enforce_csrf_checks)
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    user = poisoned.user_for(who)
    if user is not None:
        client.force_login(user)
    return client


# --- checks on HTML --------------------------------------------------------------------------------------


def raw_payloads(html: str) -> list[str]:
    """What of the payloads reached the page as markup (empty: all escaped)."""
    found = [marker for marker in RAW_MARKERS if marker in html]
    found += [p for p in csp_problems(html) if "javascript:" in p or "inline" in p]
    return found


def escaped_head(text: str) -> str:
    """How the start of a typed text (its tag and first payload) reads in HTML when escaped."""
    for payload in (SCRIPT, SVG):
        at = text.find(payload)
        if at != -1:
            return escape(text[: at + len(payload)])
    raise AssertionError(f"no payload in {text!r}")


# --- stations (built after the rest: their pages came later) -------------------------------------------


def poison_stations(poisoned: Poisoned) -> list[tuple[str, str, str]]:
    """A station whose name, address, exception note and a rider's problem note hold payloads; returns
    the pages that show them (name, path, who) and records the typed texts in `poisoned.texts`."""
    from shegong.stations.choices import FeedbackKind
    from shegong.stations.models import Station, StationException
    from shegong.stations.usage import feedback_submit

    texts = poisoned.texts
    texts["station.name"] = marked("station.name", MEDIUM)
    texts["station.address"] = marked("station.address")
    texts["station.exception"] = marked("station.exc", SHORT)
    texts["station.feedback"] = marked("station.feedback")
    world = poisoned.world
    station = Station(
        name=texts["station.name"],
        division=world.home,
        address=texts["station.address"],
        lat=41.82,
        lng=123.42,
        amenities=["water"],
        opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
    )
    station.full_clean()
    station.save()
    StationException.objects.create(
        station=station,
        date=timezone.localdate() + dt.timedelta(days=3),
        closed=True,
        note=texts["station.exception"],
    )
    result = feedback_submit(
        station=station,
        kind=FeedbackKind.NO_WATER,
        note=texts["station.feedback"],
        visitor="v" * 32,
        phone=PHONE,
    )
    feedback_appeal = getattr(result, "appeal", None)
    pages = [
        ("stations desk list", reverse("stations:desk_list"), "admin"),
        (
            "stations desk detail",
            reverse("stations:desk_station", kwargs={"station_id": station.pk}),
            "admin",
        ),
        ("stations desk edit", reverse("stations:desk_edit", kwargs={"station_id": station.pk}), "admin"),
        ("stations usage", reverse("stations:desk_usage"), "admin"),
        ("stations h5 nearby", f"{reverse('stations:h5_nearby')}?lat=41.82&lng=123.42", "anonymous"),
        ("stations h5 detail", reverse("stations:h5_station", kwargs={"pk": station.pk}), "anonymous"),
    ]
    if feedback_appeal is not None:
        pages.append(
            (
                "stations feedback appeal",
                reverse("appeals:desk_detail", kwargs={"tracking_no": feedback_appeal.tracking_no}),
                "intake",
            )
        )
    return pages
