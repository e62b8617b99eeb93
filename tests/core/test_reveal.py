"""'Show in full': permission over the record, a reason, one audit row — and the reusable page panel.

The page tests use a small detail view defined here, built exactly as docs/audit-and-pii.md tells a
module to build one (a user's phone stands in for any module's encrypted field).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path
from django.utils import translation

from shegong.accounts.choices import AccountsPerm, Role
from shegong.accounts.models import User
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from shegong.core.permissions import CorePerm
from shegong.core.reveal import reveal, reveal_panel
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PHONE = "13812341234"
REASON = "回访核实身份"
PAGE = engines["django"].from_string(
    '<h1>{{ target }}</h1>{% include "core/_reveal.html" with panel=phone %}'
)


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # visible to everyone who may see units here; showing the phone in full needs PII_REVEAL
    target = User.scoped.visible_to(request.user, AccountsPerm.UNIT_VIEW).filter(pk=pk).first()
    if target is None:
        raise Http404
    panel = reveal_panel(request, obj=target, field="phone", perm=CorePerm.PII_REVEAL)
    if panel.htmx_response is not None:
        return panel.htmx_response
    return HttpResponse(PAGE.render({"target": target, "phone": panel}, request))


urlpatterns = [
    path("people/<int:pk>/", person_detail),
    path("", include("shegong.config.urls")),
]


def person(division: Any, name: str = "李四") -> User:
    return User.objects.create_user(
        username=f"p-{division.code}-{name}", real_name=name, phone=PHONE, division=division
    )


def reveals() -> int:
    return AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).count()


# --- the service
def test_a_permitted_actor_with_a_reason_gets_the_value_and_one_audit_row(world: World) -> None:
    actor = world.user(Role.INTAKE, world.home)
    target = person(world.home_street)
    assert (
        reveal(actor=actor, obj=target, field="phone", reason=f"  {REASON} ", perm=CorePerm.PII_REVEAL)
        == PHONE
    )
    row = AuditEvent.objects.get(action=CoreAction.PII_REVEALED)
    assert row.actor == actor
    assert (row.target_type, row.target_id) == ("accounts.user", str(target.pk))
    assert row.division_code == world.home_street.code
    assert row.changes == {"field": "phone", "reason": REASON}
    assert PHONE not in str(row.changes) + row.target_label


@pytest.mark.parametrize("reason", ["", "    ", "核实", "a b c d", "\t\n  看  \n"])
def test_without_a_sufficient_reason_nothing_is_shown_or_written(world: World, reason: str) -> None:
    actor = world.user(Role.INTAKE, world.home)
    with translation.override("en"), pytest.raises(ValidationError) as info:
        reveal(actor=actor, obj=person(world.home), field="phone", reason=reason, perm=CorePerm.PII_REVEAL)
    assert info.value.code == "reason_required"
    assert "at least 5 characters" in info.value.messages[0]
    assert reveals() == 0


def test_five_non_space_characters_are_enough(world: World) -> None:
    actor = world.user(Role.HANDLER, world.home)
    assert reveal(
        actor=actor, obj=person(world.home), field="phone", reason="a b c d e", perm=CorePerm.PII_REVEAL
    )


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PLATFORM_ADMIN, Role.AUDITOR, Role.LEADER])
def test_an_actor_without_the_permission_is_refused_and_nothing_written(world: World, role: str) -> None:
    actor = world.user(role, world.home)
    with pytest.raises(PermissionDenied):
        reveal(actor=actor, obj=person(world.home), field="phone", reason=REASON, perm=CorePerm.PII_REVEAL)
    assert reveals() == 0


def test_the_permission_must_cover_the_records_division(world: World) -> None:
    actor = world.user(Role.INTAKE, world.home_street)
    with pytest.raises(PermissionDenied):
        reveal(
            actor=actor, obj=person(world.away_street), field="phone", reason=REASON, perm=CorePerm.PII_REVEAL
        )
    with pytest.raises(PermissionDenied):  # the parent county is outside a street-level grant too
        reveal(actor=actor, obj=person(world.home), field="phone", reason=REASON, perm=CorePerm.PII_REVEAL)
    assert reveals() == 0


def test_only_encrypted_fields_can_be_revealed(world: World) -> None:
    actor, target = world.user(Role.INTAKE, world.home), person(world.home)
    for field in ("password", "username", "no_such_field"):
        with pytest.raises(ValueError, match=r"EncryptedTextField|has no field"):
            reveal(actor=actor, obj=target, field=field, reason=REASON, perm=CorePerm.PII_REVEAL)
    assert reveals() == 0


# --- the page panel
class TestRevealOnADetailPage(ScopedEndpointSuite):
    method = "post"
    is_api = False
    allowed_role = Role.INTAKE
    forbidden_role = Role.SOCIAL_WORKER  # sees the page, may not reveal
    watched_models = (User,)

    def make_object(self, world: World, division: Any) -> User:
        return person(division)

    def url(self, obj: Any) -> str:
        return f"/people/{obj.pk}/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reveal_field": "phone", "reason": REASON}


def test_the_page_shows_the_masked_value_and_the_form(world: World, client: Client) -> None:
    target = person(world.home)
    client.force_login(world.user(Role.INTAKE, world.home))
    html = client.get(f"/people/{target.pk}/").content.decode()
    assert "138****1234" in html
    assert PHONE not in html
    assert 'name="reason"' in html
    assert f'hx-post="/people/{target.pk}/"' in html
    assert reveals() == 0


def test_without_the_permission_the_page_has_no_form(world: World, client: Client) -> None:
    target = person(world.home)
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    html = client.get(f"/people/{target.pk}/").content.decode()
    assert "138****1234" in html
    assert 'name="reason"' not in html


def test_without_javascript_the_page_re_renders_with_the_value(world: World, client: Client) -> None:
    target = person(world.home, name="王五")
    client.force_login(world.user(Role.INTAKE, world.home))
    response = client.post(f"/people/{target.pk}/", {"reveal_field": "phone", "reason": REASON})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>王五</h1>" in html  # the whole page
    assert f'data-testid="reveal-full">{PHONE}<' in html
    assert reveals() == 1


def test_with_htmx_only_the_panel_comes_back_and_is_not_cached(world: World, client: Client) -> None:
    target = person(world.home, name="赵六")
    client.force_login(world.user(Role.INTAKE, world.home))
    response = client.post(
        f"/people/{target.pk}/", {"reveal_field": "phone", "reason": REASON}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<h1>" not in html
    assert html.strip().startswith('<div id="sg-reveal-phone"')
    assert PHONE in html
    assert "no-store" in response["Cache-Control"]
    assert reveals() == 1


def test_a_missing_reason_is_shown_on_the_form_and_nothing_revealed(world: World, client: Client) -> None:
    target = person(world.home)
    client.force_login(world.user(Role.INTAKE, world.home))
    with translation.override("en"):
        response = client.post(
            f"/people/{target.pk}/",
            {"reveal_field": "phone", "reason": "  "},
            headers={"HX-Request": "true", "Accept-Language": "en"},
        )
    html = response.content.decode()
    assert 'data-testid="reveal-error"' in html
    assert PHONE not in html
    assert "138****1234" in html
    assert reveals() == 0


def test_a_post_for_another_field_reveals_nothing(world: World, client: Client) -> None:
    target = person(world.home)
    client.force_login(world.user(Role.INTAKE, world.home))
    html = client.post(f"/people/{target.pk}/", {"reveal_field": "other", "reason": REASON}).content.decode()
    assert PHONE not in html
    assert reveals() == 0
