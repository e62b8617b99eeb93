"""The generic scoped-endpoint suite every module's endpoints and pages inherit.

Subclass `ScopedEndpointSuite` once per endpoint (API operation or page) and fill in the hooks; the suite
then proves, on whichever database the run uses:

- a user whose grant covers the object gets the success status (200 by default);
- the same user on an object outside the grant gets 404 (no existence leak), and sees none of its data;
- a user who can see the object but lacks the action's permission gets 403;
- an anonymous caller gets 401 (API) or a redirect to the login page (pages);
- on every refusal nothing is written: the watched tables and the audit log keep their row counts.

Example::

    class TestUnitDetail(ScopedEndpointSuite):
        allowed_role = Role.PLATFORM_ADMIN
        forbidden_role = Role.VOLUNTEER  # sees divisions, not units

        def make_object(self, world, division):
            return Unit.all_objects.create(name="x", unit_type="other", division=division)

        def url(self, obj):
            return f"/api/v1/units/{obj.pk}"
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pytest
from django.db import models
from django.test import Client

from shegong.core.models import AuditEvent
from tests.support.world import World


class ScopedEndpointSuite(ABC):
    method: ClassVar[str] = "get"
    is_api: ClassVar[bool] = True
    allowed_role: ClassVar[str]
    # A role that may not do this here (it may or may not see the object): the answer must be 403.
    forbidden_role: ClassVar[str]
    success_status: ClassVar[int] = 200
    # Models whose row counts must not change when the endpoint refuses (the audit log is always watched).
    watched_models: ClassVar[tuple[type[models.Model], ...]] = ()

    # --- hooks ---------------------------------------------------------------------------------------------
    @abstractmethod
    def make_object(self, world: World, division: Any) -> models.Model:
        """Create the object the endpoint acts on, in `division`."""

    @abstractmethod
    def url(self, obj: models.Model) -> str:
        """The endpoint's URL for `obj`."""

    def payload(self, obj: models.Model) -> dict[str, Any] | None:
        return None

    def in_scope_division(self, world: World) -> Any:
        return world.home_street

    def out_of_scope_division(self, world: World) -> Any:
        return world.away_street

    def grant_division(self, world: World) -> Any:
        return world.home

    def marker(self, obj: models.Model) -> str:
        """A string that appears in a response about `obj` and must never leak for an out-of-scope one."""
        return str(obj)

    # --- machinery -----------------------------------------------------------------------------------------
    def call(self, client: Client, obj: models.Model) -> Any:
        data = self.payload(obj)
        method = getattr(client, self.method)
        if self.method == "get":
            return method(self.url(obj), data or {})
        if self.is_api:
            return method(self.url(obj), json.dumps(data or {}), content_type="application/json")
        return method(self.url(obj), data or {})

    def login(self, client: Client, user: Any) -> Client:
        client.force_login(user)
        return client

    def counts(self) -> dict[str, int]:
        tracked = (AuditEvent, *self.watched_models)
        manager = "all_objects"
        return {
            m._meta.label: getattr(m, manager, m._default_manager).count()  # type: ignore[attr-defined]
            for m in tracked
        }

    # --- the suite -----------------------------------------------------------------------------------------
    @pytest.mark.django_db
    def test_in_scope_succeeds(self, world: World, client: Client) -> None:
        obj = self.make_object(world, self.in_scope_division(world))
        user = world.user(self.allowed_role, self.grant_division(world))
        response = self.call(self.login(client, user), obj)
        assert response.status_code == self.success_status, response.content[:500]

    @pytest.mark.django_db
    def test_out_of_scope_is_404_and_writes_nothing(self, world: World, client: Client) -> None:
        obj = self.make_object(world, self.out_of_scope_division(world))
        user = world.user(self.allowed_role, self.grant_division(world))
        before = self.counts()
        response = self.call(self.login(client, user), obj)
        assert response.status_code == 404, response.content[:500]
        assert self.marker(obj) not in response.content.decode(errors="replace")
        assert self.counts() == before

    @pytest.mark.django_db
    def test_forbidden_is_403_and_writes_nothing(self, world: World, client: Client) -> None:
        obj = self.make_object(world, self.in_scope_division(world))
        user = world.user(self.forbidden_role, self.grant_division(world))
        before = self.counts()
        response = self.call(self.login(client, user), obj)
        assert response.status_code == 403, response.content[:500]
        assert self.counts() == before

    @pytest.mark.django_db
    def test_anonymous_is_refused_and_writes_nothing(self, world: World, client: Client) -> None:
        obj = self.make_object(world, self.in_scope_division(world))
        before = self.counts()
        response = self.call(client, obj)
        if self.is_api:
            assert response.status_code == 401, response.content[:500]
        else:
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]
        assert self.counts() == before
