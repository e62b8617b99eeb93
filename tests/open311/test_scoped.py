"""The scoped-endpoint suite for GET requests/{id}, in both formats: a key whose grant covers the appeal
reads it, one that does not gets 404, a key without an appeals permission 403, and a missing key 403 (the
spec's answer for a missing api_key; Open311 has no 401).

POST requests does not fit the suite: filing outside the key's prefix is a 403, as in the appeals API (a
division is no secret); test_post.py covers its refusals and that they write nothing."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.db import models
from django.test import Client

from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.api import token_hash
from tests.appeals.test_api_support import appeal_in
from tests.open311.support import BASE
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World


class _RequestByIdSuite(ScopedEndpointSuite):
    fmt: ClassVar[str]
    is_api = True
    allowed_role = Role.INTAKE
    forbidden_role = Role.VOLUNTEER  # sees divisions, no appeals permission
    watched_models: ClassVar[tuple[type[models.Model], ...]] = (Appeal, AppealEvent)

    def make_object(self, world: World, division: Any) -> Appeal:
        return appeal_in(world, division, State.SUBMITTED)

    def url(self, obj: Any) -> str:
        return f"{BASE}/requests/{obj.tracking_no}.{self.fmt}"

    def marker(self, obj: Any) -> str:
        return str(obj.tracking_no)

    def login(self, client: Client, user: Any) -> Client:
        # the caller is the key, not a session: give the user a key and send it with the call
        raw = f"sg_suite_{user.pk}"
        ApiToken.objects.create(user=user, name="suite", prefix=raw[:8], key_hash=token_hash(raw))
        self.key = raw
        return client

    def payload(self, obj: Any) -> dict[str, Any]:
        key = getattr(self, "key", None)
        return {"api_key": key} if key else {}

    @pytest.mark.django_db
    def test_anonymous_is_refused_and_writes_nothing(self, world: World, client: Client) -> None:
        obj = self.make_object(world, self.in_scope_division(world))
        before = self.counts()
        response = self.call(client, obj)
        assert response.status_code == 403, response.content[:500]
        assert self.marker(obj) not in response.content.decode()
        assert self.counts() == before


class TestRequestByIdXml(_RequestByIdSuite):
    fmt = "xml"


class TestRequestByIdJson(_RequestByIdSuite):
    fmt = "json"
