"""Possible duplicates: the candidates rule (open, same category, same street or near, recent), the text
score, the worker's hint that leaks nothing, intake's scoped list with its one-click merge, and the eval
command."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Category
from shegong.core.models import AuditEvent
from shegong.divisions.models import Division
from shegong.smart import dup_views
from shegong.smart.duplicates import Probe, Rules, duplicates_for, find, similarities
from tests.appeals.test_desk_support import client_for, detail_url, drive
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db

ORIGINAL = "翠湖花园的保安不让电动车进小区了，送餐只能停在门口走进去，十几号楼要走十分钟，老超时"
SAME_GATE = "翠湖花园不让外卖电动车进去了，保安在门口拦着，我们只能停在门口走进去送，经常超时"
OTHER_PROBLEM = "站点拖欠我三个月的配送费，站长一直不接电话，我们十几个人都没拿到钱"
# Shenyang, 皇姑区: two points about 150 m apart, and one about 3 km away.
HERE = (Decimal("41.820000"), Decimal("123.410000"))
NEAR = (Decimal("41.821300"), Decimal("123.410300"))
FAR = (Decimal("41.847000"), Decimal("123.410000"))
HINT_URL = "/smart/h5/duplicates/hint/"


def access() -> Category:
    return Category.objects.get(code="ACCESS")


def other_street(world: World) -> Division:
    return Division.objects.create(code="210105002000", name="另一街道", level=9, parent=world.home)


def file(world: World, division: Division, state: str = State.SUBMITTED, **fields: Any) -> Appeal:
    fields.setdefault("text", ORIGINAL)
    fields.setdefault("category", access())
    return drive(world, division, state, **fields)


def list_url(appeal: Appeal) -> str:
    return f"/smart/desk/appeals/{appeal.tracking_no}/duplicates/"


def found(appeal: Appeal, user: Any) -> list[str]:
    return [m.appeal.tracking_no for m in duplicates_for(appeal, user=user)]


# --- the score ----------------------------------------------------------------------------------------------


def test_paraphrase_scores_above_threshold_and_other_problem_below() -> None:
    same, other = similarities(ORIGINAL, [SAME_GATE, OTHER_PROBLEM])
    threshold = Rules().threshold
    assert same >= threshold > other


def test_traditional_characters_and_punctuation_do_not_matter() -> None:
    traditional, shouting = similarities(
        "翠湖花园的保安，不让电动车进小区",
        ["翠湖花園的保安，不讓電動車進小區", "翠湖花园的保安！！不让电动车进小区😡😡"],
    )
    assert traditional == pytest.approx(1.0)
    assert shouting == pytest.approx(1.0)


# --- candidates ---------------------------------------------------------------------------------------------


def test_finds_the_near_duplicate_in_the_same_street(world: World) -> None:
    original = file(world, world.home_street, State.DISPATCHED)
    unrelated = file(world, world.home_street, text=OTHER_PROBLEM)
    new = file(world, world.home_community, text=SAME_GATE)  # a community of the same street
    intake = world.user(Role.INTAKE)
    matches = duplicates_for(new, user=intake)
    assert [m.appeal.pk for m in matches] == [original.pk]
    assert matches[0].same_street
    assert matches[0].metres is None
    assert unrelated.tracking_no not in found(new, intake)


def test_ignores_other_streets_closed_and_old_appeals(world: World) -> None:
    elsewhere = file(world, other_street(world))
    closed = file(world, world.home_street, State.CLOSED)
    rejected = file(world, world.home_street, State.REJECTED)
    old = file(world, world.home_street)
    Appeal.all_objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=15))
    new = file(world, world.home_street, text=SAME_GATE)
    assert found(new, world.user(Role.INTAKE)) == []
    # the window is the setting's: 16 days reaches the old one
    probe = Probe.of(new)
    base = Appeal.objects.unscoped()
    assert [m.appeal.pk for m in find(base, probe, Rules(days=16))] == [old.pk]
    assert {elsewhere.pk, closed.pk, rejected.pk}.isdisjoint(
        m.appeal.pk for m in find(base, probe, Rules(days=16))
    )


def test_other_category_ignored_unclassified_included(world: World) -> None:
    wage = file(world, world.home_street, category=Category.objects.get(code="WAGE"))
    unclassified = file(world, world.home_street, category=None)
    new = file(world, world.home_street, text=SAME_GATE)
    assert found(new, world.user(Role.INTAKE)) == [unclassified.tracking_no]
    # an appeal without a category is compared with every category
    bare = file(world, world.home_street, text=SAME_GATE, category=None)
    assert set(found(bare, world.user(Role.INTAKE))) == {
        wage.tracking_no,
        unclassified.tracking_no,
        new.tracking_no,
    }


def test_distance_rule_with_coordinates(world: World) -> None:
    street = other_street(world)
    near = file(world, street, lat=NEAR[0], lng=NEAR[1])
    far = file(world, street, lat=FAR[0], lng=FAR[1])
    unlocated = file(world, street)
    new = file(world, world.home_street, text=SAME_GATE, lat=HERE[0], lng=HERE[1])
    matches = duplicates_for(new, user=world.user(Role.INTAKE))
    assert [m.appeal.pk for m in matches] == [near.pk]
    assert not matches[0].same_street
    assert 100 < (matches[0].metres or 0) < 200
    assert {far.pk, unlocated.pk}.isdisjoint(m.appeal.pk for m in matches)
    # a tighter radius leaves it out
    assert find(Appeal.objects.unscoped(), Probe.of(new), Rules(metres=100)) == []


def test_limit_and_order(world: World) -> None:
    for _ in range(7):
        file(world, world.home_street)
    exact = file(world, world.home_street, text=SAME_GATE)
    new = file(world, world.home_street, text=SAME_GATE)
    matches = duplicates_for(new, user=world.user(Role.INTAKE))
    assert len(matches) == 5
    assert matches[0].appeal.pk == exact.pk
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


# --- the worker's hint --------------------------------------------------------------------------------------


def hint(client: Client, **params: Any) -> str:
    response = client.post(HINT_URL, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.content.decode()


def test_hint_says_only_that_similar_appeals_exist(world: World, client: Client) -> None:
    original = file(world, world.home_street, State.IN_PROGRESS, lat=HERE[0], lng=HERE[1])
    file(world, world.home_street)  # a second one: the hint must not count them
    body = hint(client, text=SAME_GATE, district=world.home.code, street=world.home_street.code)
    assert 'data-testid="dup-hint-similar"' in body
    assert original.tracking_no not in body
    assert original.tracking_no.replace("-", "") not in body
    assert "翠湖" not in body  # no text of theirs
    assert re.search(r"\d", re.sub(r"<[^>]+>", "", body)) is None  # no count, no number at all
    # by coordinates alone (no place chosen yet), the same sentence
    body = hint(client, text=SAME_GATE, lat=str(NEAR[0]), lng=str(NEAR[1]), category=str(access().pk))
    assert 'data-testid="dup-hint-similar"' in body


def test_hint_is_silent_without_a_match_or_enough_input(world: World, client: Client) -> None:
    file(world, world.home_street)
    street = world.home_street.code
    assert "dup-hint-similar" not in hint(client, text=OTHER_PROBLEM, street=street)
    assert "dup-hint-similar" not in hint(client, text=SAME_GATE, street=other_street(world).code)
    assert "dup-hint-similar" not in hint(client, text=SAME_GATE)  # no place
    assert "dup-hint-similar" not in hint(client, text="翠湖花园", street=street)  # too short to say
    assert "dup-hint-similar" not in hint(client, text=SAME_GATE, street="21010500100'")  # not a code
    assert "dup-hint-similar" not in hint(client, text=SAME_GATE, lat="x", lng="1e999")


def test_hint_goes_silent_past_the_rate_limit(world: World, client: Client, monkeypatch: Any) -> None:
    file(world, world.home_street)
    monkeypatch.setattr(dup_views, "HINTS_PER_ADDRESS", 2)
    bodies = [hint(client, text=SAME_GATE, street=world.home_street.code) for _ in range(3)]
    assert ["dup-hint-similar" in b for b in bodies] == [True, True, False]


def test_filing_form_carries_the_hint_slot(client: Client) -> None:
    body = client.get("/h5/appeals/new/").content.decode()
    assert 'data-testid="dup-hint"' in body
    assert f'hx-post="{HINT_URL}"' in body
    assert "keyup changed delay:800ms from:#id_text" in body


# --- intake's list and the one-click merge ------------------------------------------------------------------


def test_list_shows_only_appeals_in_the_callers_scope(world: World) -> None:
    in_street_not_community = file(world, world.home_street)
    away = file(world, world.away_street, lat=NEAR[0], lng=NEAR[1])  # near, but another county
    new = file(world, world.home_community, text=SAME_GATE, lat=HERE[0], lng=HERE[1])
    narrow = world.user(Role.INTAKE, world.home_community)  # sees only this community
    wide = world.user(Role.INTAKE)
    assert found(new, narrow) == []
    assert found(new, wide) == [in_street_not_community.tracking_no]
    body = client_for(narrow).get(list_url(new), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="dup-empty"' in body
    assert in_street_not_community.tracking_no not in body
    assert away.tracking_no not in body


def test_detail_page_loads_the_list_for_intake_only(world: World) -> None:
    file(world, world.home_street)
    new = file(world, world.home_street, text=SAME_GATE)
    body = client_for(world.user(Role.INTAKE)).get(detail_url(new)).content.decode()
    assert 'data-testid="dup-slot"' in body
    assert f'hx-get="{list_url(new)}"' in body
    leader_page = client_for(world.user(Role.LEADER)).get(detail_url(new)).content.decode()
    assert 'data-testid="dup-slot"' not in leader_page


def test_partial_for_htmx_page_without(world: World) -> None:
    original = file(world, world.home_street)
    new = file(world, world.home_street, text=SAME_GATE)
    client = client_for(world.user(Role.INTAKE))
    partial = client.get(list_url(new), HTTP_HX_REQUEST="true").content.decode()
    page = client.get(list_url(new)).content.decode()
    assert "<html" not in partial
    assert "<html" in page
    for body in (partial, page):
        assert f'data-tracking-no="{original.tracking_no}"' in body
        assert 'data-testid="dup-score"' in body
        assert 'data-testid="dup-merge"' in body


def test_one_click_merge(world: World) -> None:
    original = file(world, world.home_street, State.DISPATCHED)
    new = file(world, world.home_street, text=SAME_GATE)
    intake = world.user(Role.INTAKE)
    client = client_for(intake)
    body = client.get(list_url(new), HTTP_HX_REQUEST="true").content.decode()
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*data-confirm="[^"]+"', body)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="(into|version)" value="([^"]+)"', body))
    assert fields == {"into": original.tracking_no, "version": str(new.version)}
    response = client.post(form.group(1), fields)
    assert response.status_code == 302
    assert response["Location"] == detail_url(new)
    new.refresh_from_db()
    assert new.state == State.MERGED
    assert new.merged_into_id == original.pk
    assert AuditEvent.objects.filter(action="appeals.appeal.merged", target_id=str(new.pk)).exists()
    # a stale page's second click is refused by the service, and nothing changes
    again = client.post(form.group(1), fields)
    assert again.status_code == 409
    # a merged appeal offers no merge: the list shows no buttons
    after = client.get(list_url(new), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="dup-merge"' not in after


class TestDuplicatesListScope(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER  # sees the appeal, may not merge it

    def make_object(self, world: World, division: Any) -> Appeal:
        return file(world, division)

    def url(self, obj: Any) -> str:
        return list_url(obj)

    def marker(self, obj: Any) -> str:
        return str(obj.tracking_no)


# --- the eval command ---------------------------------------------------------------------------------------


def run_eval(*args: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    with translation.override("en"):  # messages are asserted in their English msgids
        call_command("smart_dup_eval", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def test_eval_on_the_shipped_pairs() -> None:
    lines, err = run_eval()
    result = json.loads(lines[-1])
    assert result["eval"] == "duplicates"
    assert result["n"] >= 150
    assert err == ""
    assert result["threshold"] == Rules.from_settings().threshold
    assert 0 <= result["precision"] <= 1
    assert 0 <= result["recall"] <= 1
    # the finder is clearly better than calling every same-street pair a duplicate (F1 ≈ 0.65 here)
    assert result["f1"] >= 0.7
    assert result["best_f1"] >= result["f1"]


def test_eval_reports_bad_lines_and_skips_them(tmp_path: Path) -> None:
    rows = [
        {"a": ORIGINAL, "b": SAME_GATE, "duplicate": True},
        "not json",
        {"a": ORIGINAL, "b": OTHER_PROBLEM, "duplicate": "no"},
        {"a": "", "b": SAME_GATE, "duplicate": True},
        ["a list"],
        {"a": ORIGINAL, "b": OTHER_PROBLEM, "duplicate": False, "category": "ACCESS"},
        {"a": ORIGINAL, "b": ORIGINAL, "duplicate": False, "same_street": False},
        {"a": ORIGINAL, "b": ORIGINAL, "duplicate": False, "same_street": "yes"},
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows).encode()
        + b"\n\xff\xfe\n"
    )
    lines, err = run_eval(str(path), "--threshold", "0.2")
    for number in (2, 3, 4, 5, 8, 9):
        assert f"line {number}:" in err
    for number in (1, 6, 7, 10):
        assert f"line {number}:" not in err
    result = json.loads(lines[-1])
    # the identical pair in another street is not a duplicate: the place rule decides
    assert result == {**result, "n": 3, "precision": 1.0, "recall": 1.0, "f1": 1.0, "threshold": 0.2}


def test_eval_refuses_an_empty_or_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("nothing useful\n")
    with pytest.raises(CommandError):
        run_eval(str(empty))
    with pytest.raises(CommandError):
        run_eval(str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError):
        run_eval("--threshold", "0")


# --- the demo -----------------------------------------------------------------------------------------------


def test_demo_intake_sees_the_demo_pair_and_a_worker_gets_the_hint(client: Client) -> None:
    from shegong.accounts.models import User
    from shegong.ops.demo_data import seed_demo

    seed_demo()
    later = Appeal.all_objects.get(
        state=State.SUBMITTED, text__contains="小区的保安近日不让外卖、快递电动车进入"
    )
    earlier = Appeal.all_objects.get(
        state=State.IN_PROGRESS, text__contains="的保安这几天突然不让电动车进小区了"
    )
    intake = User.objects.get(username="demo_intake")
    body = client_for(intake).get(list_url(later), HTTP_HX_REQUEST="true").content.decode()
    matches = re.findall(r'data-testid="dup-match" data-tracking-no="([^"]+)"', body)
    assert matches[0] == earlier.tracking_no
    assert 'data-testid="dup-merge"' in body
    estate = re.search(r"，([^，]+)的保安", earlier.text)
    assert estate is not None
    typed = f"{estate.group(1)}保安这两天不让我们电动车进去了，只能停在东门外面走进去送，超时好几单"
    body = hint(client, text=typed, community=earlier.division_id)
    assert 'data-testid="dup-hint-similar"' in body


def test_hint_takes_the_typed_text_only_in_a_csrf_checked_post(world: World) -> None:
    # what a worker types may hold names or numbers: never in a URL (access logs), never cross-site
    params = {"text": SAME_GATE, "street": world.home_street.code}
    assert Client().get(HINT_URL, params).status_code == 405
    assert Client(enforce_csrf_checks=True).post(HINT_URL, params).status_code == 403
