"""/livez: answers without the database, takes a POST without a CSRF token, writes nothing."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client

pytestmark = pytest.mark.django_db


def test_livez_answers_without_a_database_query(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_livez_takes_a_post_without_a_csrf_token(django_assert_num_queries) -> None:
    client = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(0):
        response = client.post("/livez", data={"anything": "ignored"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_livez_still_answers_when_the_database_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", lambda self: down())
    assert client.get("/livez").status_code == 200
    assert client.get("/healthz").status_code == 503


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_livez_refuses_other_methods(client: Client, method: str) -> None:
    assert getattr(client, method)("/livez").status_code == 405
