"""CSRF on every form: a crawl of every page reachable by each role (links followed from the landing pages and
from a jurisdiction with appeals in every state) finds every <form method="post">; each carries Django's
token, every page that sends htmx POSTs carries the token for app.js, and each form's target refuses the
same form sent without the token (403, nothing written).

The enumeration check ties the crawl to the URL patterns: every page that accepts POST (read from the view's
require_http_methods, as tests/security/matrix does) was seen as the target of a rendered form, or is listed
below with the reason it renders no form. The authorization matrix (tests/security/matrix) checks the
unsafe methods of every endpoint; this module checks what the pages render."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from django.apps import apps
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from shegong.accounts import services as account_services
from shegong.appeals import catalogue
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Clock, LimitUnit, Urgency, WorkerType
from tests.security.input_support import PHONE, Poisoned, client_for, poison, poison_stations
from tests.security.matrix.endpoints import walk
from tests.support.world import World

pytestmark = pytest.mark.django_db

# Pages that take POST but render no form of their own that a crawl can reach, with the reason.
NO_FORM = {
    "accounts:login_totp": "second step of a login: reached only after a password with TOTP enrolled",
    "accounts:login_enrol": "second step of a login: reached only when TOTP enrolment is required",
    "smart:h5_dup_hint": "htmx POST from the H5 filing page (hx-post, token from the meta tag)",
    # views that take any method and render no form posting to themselves (a POST is still CSRF-checked)
    "desk:home": "landing page, takes any method",
    "h5:home": "landing page, takes any method",
    "dashboard:home": "landing page, takes any method",
    "web:landing": "redirect to the user's landing page, takes any method",
    "web:livez": "health probe, CSRF-exempt on purpose (no session, writes nothing; see web/health.py)",
}
# Never followed: they leave the session, download files or are not pages.
SKIP_PREFIXES = ("/admin/", "/api/", "/open311/", "/static/", "/media/", "/accounts/logout/", "/i18n/")
SKIP_NAMES = {"audit:export", "appeals:indicators_export", "appeals:attachment", "appeals:h5_attachment"}
MAX_PER_NAME = 4  # a list's 50 rows lead to the same page type; a few of each are enough


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.htmx_posts: list[str] = []
        self.csrf_meta = ""
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "meta" and a.get("name") == "csrf-token":
            self.csrf_meta = a.get("content", "")
        for verb in ("hx-post", "hx-put", "hx-patch", "hx-delete"):
            if verb in a:
                self.htmx_posts.append(a[verb])
        if tag == "form":
            self._form = Form(page="", action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button") or tag == "button":
                self._form.fields.setdefault(a["name"], a.get("value", ""))
                return
            self._form.fields[a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "textarea":
            self._textarea = a.get("name")
            if self._textarea:
                self._form.fields[self._textarea] = ""
        elif self._form is not None and tag == "select":
            self._select = a.get("name")
        elif (
            self._form is not None
            and tag == "option"
            and self._select
            and (self._select not in self._form.fields or "selected" in a)
        ):
            self._form.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


@dataclass
class Crawl:
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # url → (who, url name)
    forms: list[tuple[str, Form]] = field(default_factory=list)  # (who, form)
    htmx_without_token: list[str] = field(default_factory=list)


def _crawl(poisoned: Poisoned, starts: dict[str, list[str]]) -> Crawl:
    crawl = Crawl()
    for who, seeds in starts.items():
        client = client_for(poisoned, who)
        queue = list(seeds)
        per_name: Counter[str] = Counter()
        chosen = set(seeds)  # start pages are always visited; followed links MAX_PER_NAME per page type
        seen: set[str] = set()
        while queue:
            url = queue.pop(0)
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url in seen or url.startswith(SKIP_PREFIXES):
                continue
            seen.add(url)
            name = _name(url)
            if name is None or name in SKIP_NAMES or (per_name[name] >= MAX_PER_NAME and url not in chosen):
                continue
            per_name[name] += 1
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            crawl.pages.setdefault(url, (who, name))
            parser = _Page()
            parser.feed(response.content.decode())
            if parser.htmx_posts and not parser.csrf_meta:
                crawl.htmx_without_token.append(url)
            for form in parser.forms:
                form.page = url
                form.action = urljoin(url, form.action or url)
                crawl.forms.append((who, form))
            queue.extend(urljoin(url, link.split("#")[0]) for link in parser.links if link.split("#")[0])
    return crawl


@pytest.fixture
def crawled(world: World) -> tuple[Poisoned, Crawl]:
    poisoned = poison(world)
    # appeals waiting at every step a form acts on (to accept, to dispatch, to sign for, to rate)
    fields: dict[str, Any] = {
        "text": "站点拖欠我三个月的配送费，站长一直不接电话。",
        "division": world.home_community,
        "phone": PHONE,
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.FOOD_DELIVERY,
        "channel": Channel.H5,
    }
    s.appeal_submit(**fields)
    accepted = s.appeal_accept(appeal=s.appeal_submit(**fields), actor=poisoned.intake)
    dispatched = s.appeal_dispatch(
        appeal=s.appeal_accept(appeal=s.appeal_submit(**fields), actor=poisoned.intake),
        actor=poisoned.intake,
        unit=poisoned.unit,
    )
    replied = s.appeal_sign_for(appeal=dispatched, actor=poisoned.handler)
    replied = s.appeal_reply(appeal=replied, actor=poisoned.handler, text="已联系站点。", resolved=True)
    dispatched = s.appeal_dispatch(
        appeal=s.appeal_accept(appeal=s.appeal_submit(**fields), actor=poisoned.intake),
        actor=poisoned.intake,
        unit=poisoned.unit,
    )
    # what only shows for a user with a second factor, a retired category, a changed time limit
    for user in (poisoned.admin, poisoned.staff):
        secret = pyotp.random_base32()
        previous = pyotp.TOTP(secret).at(timezone.now() - dt.timedelta(seconds=30))
        account_services.totp_enable(user=user, secret=secret, code=previous, actor=user)
    retired = catalogue.category_create(
        actor=poisoned.nationwide_admin, parent=poisoned.category.parent, code="RETIRED", name="停用的分类"
    )
    catalogue.category_retire(actor=poisoned.nationwide_admin, category=retired)
    catalogue.time_limit_set(
        actor=poisoned.nationwide_admin, category=poisoned.category, urgency=Urgency.NORMAL,
        clock=Clock.HANDLE, amount=3, unit=LimitUnit.WORKING_DAYS,
    )  # fmt: skip
    station_pages = poison_stations(poisoned)
    desk = reverse("desk:home")
    starts = {
        who: [desk, *(path for _n, path, w in poisoned.pages() if w == who)]
        for who in ("intake", "handler", "leader", "admin", "nationwide_admin", "auditor")
    }
    for who in ("intake", "handler", "leader"):
        starts[who] += [
            reverse("appeals:desk_detail", kwargs={"tracking_no": a.tracking_no})
            for a in (accepted, dispatched, replied)
        ]
    starts["nationwide_admin"] += [reverse("appeals:catalogue_category_create")]
    starts["leader"] += [reverse("appeals:exclude", kwargs={"tracking_no": replied.tracking_no})]
    starts["admin"] += [
        reverse("accounts:user_create"),
        reverse("accounts:security"),
        reverse("accounts:password_change"),
        reverse("units:create"),
        f"{reverse('accounts:user_list')}?q=poisoned",
    ]
    starts["security_admin"] = [
        desk,
        reverse("accounts:user_list"),
        reverse("accounts:security"),
        reverse("accounts:user_detail", kwargs={"pk": poisoned.staff.pk}),
    ]
    starts["nationwide_admin"] += [
        reverse("appeals:catalogue_categories"),
        f"{reverse('appeals:catalogue_time_limits')}?category={poisoned.category.pk}",
    ]
    starts["worker"] = [
        reverse("h5:home"),
        reverse("appeals:h5_mine"),
        *(path for _n, path, w in poisoned.pages() if w == "worker"),
        reverse("appeals:h5_detail", kwargs={"tracking_no": replied.tracking_no}),
        reverse("appeals:h5_withdraw", kwargs={"tracking_no": dispatched.tracking_no}),
    ]
    starts["anonymous"] = ["/", reverse("h5:home"), reverse("accounts:login"), reverse("appeals:h5_submit"),
                           reverse("appeals:h5_track"), reverse("appeals:h5_verify")]  # fmt: skip
    for _name, path, who in station_pages:
        starts.setdefault(who, []).append(path)
    return poisoned, _crawl(poisoned, starts)


def _post_names() -> dict[str, str]:
    """Every page (not API, not Open311, not the Django admin) whose view accepts POST → its route."""
    names = {}
    for endpoint in walk():
        if endpoint.api or endpoint.key.startswith(("admin:", "open311:", "api:", "<unnamed admin/")):
            continue
        if "POST" in endpoint.methods or not endpoint.methods:  # empty: the view takes any method
            names[endpoint.key] = endpoint.route
    return names


def test_every_rendered_post_form_carries_the_csrf_token(crawled: tuple[Poisoned, Crawl]) -> None:
    _poisoned, crawl = crawled
    posts = [(who, f) for who, f in crawl.forms if f.method == "post"]
    assert len(posts) > 50, "the crawl found too few forms to mean anything"
    missing = [f"{f.page} → {f.action}" for _who, f in posts if not f.fields.get("csrfmiddlewaretoken")]
    assert missing == []
    assert crawl.htmx_without_token == []
    get_forms_with_token = [
        f.page for _w, f in crawl.forms if f.method == "get" and "csrfmiddlewaretoken" in f.fields
    ]
    assert get_forms_with_token == [], "a GET form would put the token in the URL (logs, Referer)"


def test_every_page_that_accepts_post_is_the_target_of_a_crawled_form(
    crawled: tuple[Poisoned, Crawl],
) -> None:
    _poisoned, crawl = crawled
    targets = {_name(f.action) for _who, f in crawl.forms if f.method == "post"}
    not_reached = sorted(
        n for n in set(_post_names()) - targets - set(NO_FORM) if not n.startswith("stations:")
    )
    assert not_reached == [], (
        f"render a form posting there (add a start page) or list it in NO_FORM: {not_reached}"
    )
    assert set(NO_FORM) <= set(_post_names()), "NO_FORM names a page that no longer takes POST"


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("shegong.") and not m._meta.label.startswith("sessions.")
    }


def test_every_form_sent_without_its_token_is_refused_and_writes_nothing(
    crawled: tuple[Poisoned, Crawl],
) -> None:
    poisoned, crawl = crawled
    done: set[tuple[str | None, str]] = set()
    refused = []
    before = _row_counts()
    for who, form in crawl.forms:
        if form.method != "post" or (_name(form.action), who) in done:
            continue
        done.add((_name(form.action), who))
        client = client_for(poisoned, who, enforce_csrf_checks=True)
        data = {k: v for k, v in form.fields.items() if k != "csrfmiddlewaretoken"}
        parts = urlsplit(form.action)
        response = client.post(f"{parts.path}?{parts.query}" if parts.query else parts.path, data)
        if response.status_code != 403:
            refused.append(f"{who}: {form.action} answered {response.status_code}")
    assert refused == []
    assert len(done) > 30
    assert _row_counts() == before
