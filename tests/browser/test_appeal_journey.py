"""One appeal's whole life in Chromium: a rider files it on a 360 px phone, intake accepts and dispatches it,
the unit signs for it and replies, the rider rates it, and the closed appeal is counted in the indicators.

The one-time code is read where a phone would receive it: the console SMS backend keeps sent texts in
`ConsoleSMSBackend.outbox`, and the live server runs in this process, so the list is shared.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from shegong.accounts.choices import Role
from shegong.appeals.choices import AppealType, Satisfaction, State, WorkerType
from shegong.appeals.h5 import filing
from shegong.appeals.models import Appeal
from shegong.core import pii
from shegong.core.notify import ConsoleSMSBackend
from tests.support.world import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIDER_PHONE = "13912345678"
TEXT = "站点拖欠我三个月的配送费，站长一直不接电话。"
REPLY = "已联系站点，配送费本周内结清。"
PHONE_CONTEXT = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESK_CONTEXT = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}

# --- helpers ---------------------------------------------------------------------------------------------


class Problems(list[str]):
    """Page errors, console errors (Chromium reports CSP violations there) and server errors of a page."""

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda exc: self.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.append(f"console: {msg.text}"))
        page.on("response", lambda r: r.status >= 500 and self.append(f"{r.status} {r.url}"))
        return page


@pytest.fixture
def sms() -> Iterator[list[Any]]:
    ConsoleSMSBackend.outbox.clear()
    yield ConsoleSMSBackend.outbox
    ConsoleSMSBackend.outbox.clear()


def _new_page(browser: Any, problems: Problems, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context, problems.watch(context.new_page())


def _latest_code(outbox: list[Any], phone: str) -> str:
    for message in reversed(outbox):
        if message.phone == phone:
            found = re.search(r"(?<!\d)(\d{6})(?!\d)", message.text)
            assert found, message.text
            return found.group(1)
    raise AssertionError(f"no SMS was sent to {pii.mask_phone(phone)}")


def _sideways(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _artifact(name: str) -> str:
    folder = Path(__file__).resolve().parents[2] / ".ci" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def _fill_appeal_form(page: Any, world: World, outbox: list[Any], phone: str) -> None:
    """Everything a rider enters on the filing page, code included (tapped, as on a phone)."""
    page.fill("#id_text", TEXT)
    page.select_option("#id_appeal_type", AppealType.COMPLAINT.value)
    # The picker redraws itself (htmx) after each choice; each lower select appears with the redraw and
    # answers a choice only once htmx has settled it (a person is never that quick; a test is).
    for name, division in (
        ("district", world.home),
        ("street", world.home_street),
        ("community", world.home_community),
    ):
        page.select_option(f"[data-testid=place-{name}]", division.code)
        page.locator("[data-testid=place-chosen]", has_text=division.name).wait_for()
        _settled(page)
    page.select_option("#id_worker_type", WorkerType.FOOD_DELIVERY.value)
    page.fill("#id_platform", "美团")
    page.fill("#id_phone", phone)
    page.tap("[data-testid=send-code]")
    page.locator("#otp-status [data-testid=otp-status].alert-success").wait_for()
    page.fill("#id_code", _latest_code(outbox, phone))


def _settled(page: Any) -> None:
    """Wait until htmx has no request in flight and has wired up what it swapped in."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def _desk_open(page: Any, base: str, tracking_no: str, queue: str) -> None:
    """From the user's queue to the appeal's page, as staff would go."""
    page.goto(f"{base}{reverse('appeals:desk_list')}?queue={queue}")
    row = page.locator(f"[data-testid=appeal-row][data-tracking-no='{tracking_no}']")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.locator("[data-testid=tracking-no]").inner_text().strip() == tracking_no


def _desk_act(page: Any, slug: str, expected_state: str, fill: dict[str, str] | None = None) -> None:
    """Open one action's panel, fill it, send it, and see the appeal in its next state."""
    page.click(f"[data-testid=action-{slug}] summary")
    form = page.locator(f"[data-testid=action-form-{slug}]")
    for selector, value in (fill or {}).items():
        field = form.locator(selector)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("[data-testid=action-error]").count() == 0, page.locator("main").inner_text()
    state = page.locator("[data-testid=appeal-state]").get_attribute("data-state")
    assert state == expected_state, (slug, state)


# --- the journey -----------------------------------------------------------------------------------------


def test_a_rider_appeal_from_phone_to_closed_and_counted(
    live_server: Any, browser: Any, world: World, sms: list[Any]
) -> None:
    base = live_server.url
    intake = world.user(Role.INTAKE)
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    leader = world.user(Role.LEADER)
    problems = Problems()
    rider_context, rider = _new_page(browser, problems, **PHONE_CONTEXT)
    try:
        # 1. The rider files the appeal on the phone.
        rider.goto(f"{base}/h5/")
        with rider.expect_navigation():
            rider.tap("[data-tile=submit]")
        assert rider.url == f"{base}{reverse('appeals:h5_submit')}"
        _fill_appeal_form(rider, world, sms, RIDER_PHONE)
        assert _sideways(rider) <= 0, "the filing page scrolls sideways at 360 px"
        rider.screenshot(path=_artifact("journey-1-filing-360.png"), full_page=True)
        with rider.expect_navigation(url=re.compile(r"/h5/appeals/done/")):
            rider.tap("[data-testid=submit]")
        tracking_no = rider.locator("[data-testid=tracking-no]").get_attribute("aria-label")
        assert tracking_no
        assert re.fullmatch(r"[2-9A-Z]{3}-[2-9A-Z]{3}-[2-9A-Z]{3}", tracking_no)
        assert "".join(
            rider.locator("[data-testid=tracking-no] span").all_inner_texts()
        ) == tracking_no.replace("-", "")
        assert _sideways(rider) <= 0, "the done page scrolls sideways at 360 px"
        rider.screenshot(path=_artifact("journey-2-done-360.png"), full_page=True)
        appeal = Appeal.all_objects.get(tracking_no=tracking_no)
        assert (appeal.state, appeal.division_id, appeal.text) == (
            State.SUBMITTED,
            world.home_community.code,
            TEXT,
        )

        # 2. Intake accepts it from the to-accept queue and dispatches it to the unit.
        desk_context, desk = _new_page(browser, problems, **DESK_CONTEXT)
        try:
            _login(desk, base, intake.username)
            _desk_open(desk, base, tracking_no, "to_accept")
            _desk_act(desk, "accept", State.ACCEPTED)
            _desk_act(desk, "dispatch", State.DISPATCHED, {"select[name=unit]": str(world.home_unit.pk)})
            assert desk.locator("[data-testid=appeal-unit]").inner_text().strip() == world.home_unit.name
        finally:
            desk_context.close()

        # 3. The unit's handler signs for it and replies.
        unit_context, unit = _new_page(browser, problems, **DESK_CONTEXT)
        try:
            _login(unit, base, handler.username)
            _desk_open(unit, base, tracking_no, "to_sign")
            _desk_act(unit, "sign-for", State.IN_PROGRESS)
            _desk_act(
                unit, "reply", State.REPLIED, {"textarea[name=text]": REPLY, "select[name=resolved]": "yes"}
            )
            unit.screenshot(path=_artifact("journey-3-replied-desk.png"), full_page=True)
        finally:
            unit_context.close()

        # 4. The rider, still proved by the code from filing, finds it under "my appeals" and rates it.
        rider.goto(f"{base}{reverse('appeals:h5_mine')}")
        with rider.expect_navigation():
            rider.tap(f"[data-testid=my-appeal][data-tracking-no='{tracking_no}']")
        assert rider.locator("[data-testid=state]").get_attribute("data-state") == State.REPLIED
        assert REPLY in rider.locator("[data-testid=timeline]").inner_text()
        rider.tap("[data-testid=rate-resolved-yes]")
        rider.tap(f"[data-testid=rate-satisfaction-{Satisfaction.SATISFIED.value}]")
        assert _sideways(rider) <= 0, "the appeal page scrolls sideways at 360 px"
        with rider.expect_navigation():
            rider.tap("[data-testid=rate-submit]")
        state = rider.locator("[data-testid=state]")
        assert state.get_attribute("data-state") == State.CLOSED
        assert state.inner_text().strip() == "已办结"
        assert rider.locator("[data-testid=rate-form]").count() == 0
        assert rider.locator("[data-testid=rating]").is_visible()
        rider.screenshot(path=_artifact("journey-4-closed-360.png"), full_page=True)
    finally:
        rider_context.close()

    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED
    assert appeal.closed_at is not None
    assert (appeal.first_resolved, appeal.first_satisfaction) == (True, Satisfaction.SATISFIED)
    assert (appeal.resolved, appeal.satisfaction) == (True, Satisfaction.SATISFIED)
    assert Appeal.all_objects.count() == 1

    # 5. The leader's indicators count it for the unit: one appeal, resolved and satisfied.
    leader_context, board = _new_page(browser, problems, **DESK_CONTEXT)
    try:
        _login(board, base, leader.username)
        board.goto(f"{base}{reverse('appeals:indicators')}?period=this_month&group=unit")
        row = board.locator(f"[data-testid=indicator-row][data-key='{world.home_unit.pk}']")
        assert row.locator("th").inner_text().strip() == world.home_unit.name
        assert row.locator("[data-testid=cell-counted]").inner_text().strip() == "1"
        assert row.locator("[data-testid=cell-excluded]").inner_text().strip() == "0"
        for rate in ("resolution", "satisfaction"):
            cell = row.locator(f"[data-testid=cell-{rate}]").inner_text()
            assert cell.split() == ["100.0%", "1/1"], (rate, cell)
    finally:
        leader_context.close()

    assert problems == [], problems


# --- one appeal per form ---------------------------------------------------------------------------------


def test_a_double_tap_on_submit_files_one_appeal(
    live_server: Any, browser: Any, world: World, sms: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More taps while the first one's request is still on its way (a slow network) send nothing more:
    the page sends the form once and one appeal is filed."""
    arrived, release = threading.Event(), threading.Event()
    file_appeal = filing._file

    def slow_network(request: Any, form: Any) -> Any:
        arrived.set()
        release.wait(timeout=10)
        return file_appeal(request, form)

    monkeypatch.setattr(filing, "_file", slow_network)
    problems = Problems()
    context, page = _new_page(browser, problems, **PHONE_CONTEXT)
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/h5/appeals/new/" in r.url and posts.append(r.url))
    try:
        page.goto(f"{live_server.url}{reverse('appeals:h5_submit')}")
        _fill_appeal_form(page, world, sms, "13912340001")
        submit = page.locator("[data-testid=submit]")
        submit.scroll_into_view_if_needed()
        box = submit.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        # Screen taps at the button's place: element actions would wait for the pending navigation.
        page.touchscreen.tap(x, y)
        assert arrived.wait(timeout=10), "the first tap did not send the form"
        page.touchscreen.tap(x, y)
        page.mouse.dblclick(x, y)
        release.set()
        page.wait_for_url(re.compile(r"/h5/appeals/done/"))
        tracking_no = page.locator("[data-testid=tracking-no]").get_attribute("aria-label")
    finally:
        release.set()
        context.close()
    assert len(posts) == 1, f"the page sent the form {len(posts)} times"
    assert list(Appeal.all_objects.values_list("tracking_no", flat=True)) == [tracking_no]
    assert problems == [], problems


def test_sending_the_same_form_again_answers_with_the_first_number(
    live_server: Any, browser: Any, world: World, sms: list[Any]
) -> None:
    """A retry after a lost answer (the phone's network dropped): the same form, code and key, sent twice
    from the page, files one appeal and both answers lead to the same tracking number."""
    problems = Problems()
    context, page = _new_page(browser, problems, **PHONE_CONTEXT)
    try:
        page.goto(f"{live_server.url}{reverse('appeals:h5_submit')}")
        _fill_appeal_form(page, world, sms, "13912340002")
        landed = page.evaluate(
            """async () => {
              const form = document.querySelector("[data-testid=appeal-form]");
              const url = form.getAttribute("action");  // form.action is the button named "action"
              const body = new FormData(form);
              const first = await fetch(url, {method: "POST", body});
              const again = await fetch(url, {method: "POST", body});
              return [first.url, again.url];
            }"""
        )
    finally:
        context.close()
    appeals = list(Appeal.all_objects.values_list("tracking_no", flat=True))
    assert len(appeals) == 1
    done = f"{live_server.url}{reverse('appeals:h5_done', args=[appeals[0]])}"
    assert landed == [done, done]
    assert problems == [], problems
