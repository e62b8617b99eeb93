"""Error pages in the platform's language, JSON under /api/, never the exception text; /healthz."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils.translation import gettext

from shegong.accounts.choices import Role
from tests.support.world import World

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.web.urls")]


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no-such-page/", 404, "Page not found"),
        ("/_test/forbidden/", 403, "You do not have permission to open this page"),
        ("/_test/suspicious/", 400, "The request could not be understood"),
        ("/_test/boom/", 500, "Something went wrong on our side"),
    ],
)
def test_error_pages(path: str, status: int, title: str) -> None:
    client = Client(raise_request_exception=False)
    response = client.get(path)
    assert response.status_code == status
    html = response.content.decode()
    assert 'data-testid="error-title"' in html
    assert gettext(title) in html
    assert '<html lang="zh-hans">' in html
    assert "secret internal detail" not in html


def test_error_page_offers_the_way_back_to_a_signed_in_user(client: Client, world: World) -> None:
    client.force_login(world.user(Role.INTAKE))
    html = client.get("/no-such-page/").content.decode()
    assert 'href="/landing/"' in html


def test_api_paths_get_the_json_envelope(client: Client) -> None:
    response = client.get("/api/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": gettext("Not found."), "details": {}}
    response = client.get("/api/_test/forbidden/")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_500_survives_a_broken_template(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template engine down")

    monkeypatch.setattr("shegong.web.errors.render_to_string", broken)
    response = Client(raise_request_exception=False).get("/_test/boom/")
    assert response.status_code == 500
    assert b"500" in response.content


def test_healthz_answers_after_a_database_query(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_a_database_failure(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def __enter__(self) -> Down:
            raise DatabaseError("connection refused")

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr("shegong.web.views.connection.cursor", lambda: Down())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_favicon_ico_points_to_the_static_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("shegong/favicon.svg")
