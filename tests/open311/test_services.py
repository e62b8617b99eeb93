"""Service discovery, the service list and service definitions, in both formats, element by element."""

from __future__ import annotations

import pytest
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals.catalogue import category_create, category_update
from shegong.appeals.choices import AppealType, WorkerType
from shegong.appeals.models import Category
from tests.open311.support import BASE, en, error_descriptions, json_body, xml_root
from tests.support.world import World

__all__ = ["en"]
pytestmark = pytest.mark.django_db

SERVICE_ELEMENTS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_ELEMENTS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]


def test_discovery_xml_lists_this_endpoint(client: Client) -> None:
    response = client.get(f"{BASE}/discovery.xml")
    assert response.status_code == 200
    root = xml_root(response, "discovery")
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = root.find("endpoints") or []
    assert endpoint.tag == "endpoint"
    assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert [f.text for f in endpoint.iterfind("formats/format")] == ["text/xml", "application/json"]
    assert "+08:00" in (root.findtext("changeset") or "")


def test_discovery_json_has_the_same_fields(client: Client) -> None:
    document = json_body(client.get(f"{BASE}/discovery.json"))
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = document["endpoints"]
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] in {"production", "test"}


def test_discovery_changeset_moves_when_a_category_changes(client: Client, world: World) -> None:
    before = json_body(client.get(f"{BASE}/discovery.json"))["changeset"]
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    category_update(category=Category.objects.get(code="WAGE"), actor=admin, name="劳动报酬与结算")
    after = json_body(client.get(f"{BASE}/discovery.json"))["changeset"]
    assert after > before


def test_services_xml_lists_every_active_category(client: Client) -> None:
    response = client.get(f"{BASE}/services.xml")
    assert response.status_code == 200
    root = xml_root(response, "services")
    services = list(root)
    assert {s.tag for s in services} == {"service"}
    codes = [s.findtext("service_code") for s in services]
    assert codes == list(
        Category.objects.filter(is_active=True).order_by("order", "code").values_list("code", flat=True)
    )
    wage = services[codes.index("WAGE")]
    assert [c.tag for c in wage] == SERVICE_ELEMENTS
    assert wage.findtext("service_name") == "劳动报酬"
    assert wage.findtext("metadata") == "true"
    assert wage.findtext("type") == "realtime"
    assert wage.findtext("group") == "劳动报酬"
    assert "欠薪" in (wage.findtext("keywords") or "").split(", ")


def test_services_json_and_second_level_categories(client: Client, world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    wage = Category.objects.get(code="WAGE")
    category_create(actor=admin, code="WAGE_DEPOSIT", name="押金不退", parent=wage)
    retired = Category.objects.get(code="SKILL")
    category_update(category=retired, actor=admin, is_active=False)
    services = json_body(client.get(f"{BASE}/services.json"))
    assert isinstance(services, list)
    by_code = {s["service_code"]: s for s in services}
    assert "SKILL" not in by_code
    child = by_code["WAGE_DEPOSIT"]
    assert child["group"] == "劳动报酬"
    assert child["metadata"] is True
    assert child["type"] == "realtime"
    codes = [s["service_code"] for s in services]
    assert codes.index("WAGE_DEPOSIT") == codes.index("WAGE") + 1  # listed under its first level


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_jurisdiction_id_is_checked(en: Client, world: World, fmt: str) -> None:
    assert en.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "210105"}).status_code == 200
    assert en.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": world.home_community.code}).status_code == 200
    assert en.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": ""}).status_code == 200  # empty = not given
    for unknown in ("990000", "sfgov.org", "2101059"):
        response = en.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": unknown})
        assert response.status_code == 404
        assert "jurisdiction_id" in error_descriptions(response, fmt)[0]


def test_service_definition_xml(client: Client) -> None:
    response = client.get(f"{BASE}/services/WAGE.xml")
    assert response.status_code == 200
    root = xml_root(response, "service_definition")
    assert [c.tag for c in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == "WAGE"
    attributes = list(root.find("attributes") or [])
    assert {a.tag for a in attributes} == {"attribute"}
    by_code = {a.findtext("code"): a for a in attributes}
    assert list(by_code) == ["worker_type", "appeal_type", "platform", "anonymous", "source_ref"]
    worker = by_code["worker_type"]
    assert [c.tag for c in worker] == [*ATTRIBUTE_ELEMENTS, "values"]
    assert worker.findtext("datatype") == "singlevaluelist"
    assert worker.findtext("required") == "true"
    assert worker.findtext("order") == "1"
    values = list(worker.find("values") or [])
    assert {v.tag for v in values} == {"value"}
    assert [[c.tag for c in v] for v in values] == [["key", "name"]] * len(values)
    assert [v.findtext("key") for v in values] == list(WorkerType.values)
    assert by_code["platform"].findtext("required") == "false"
    assert by_code["source_ref"].findtext("datatype") == "string"
    assert by_code["source_ref"].find("values") is None


def test_service_definition_json(client: Client) -> None:
    document = json_body(client.get(f"{BASE}/services/WAGE.json"))
    assert document["service_code"] == "WAGE"
    attributes = {a["code"]: a for a in document["attributes"]}
    appeal_type = attributes["appeal_type"]
    assert appeal_type["variable"] is True
    assert appeal_type["required"] is True
    assert appeal_type["order"] == 2
    assert appeal_type["datatype_description"] is None  # empty → null, as in the spec's example
    assert [v["key"] for v in appeal_type["values"]] == list(AppealType.values)
    assert [a["order"] for a in document["attributes"]] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_or_retired_service_is_404(en: Client, world: World, fmt: str) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    category_update(category=Category.objects.get(code="SKILL"), actor=admin, is_active=False)
    for code in ("NOPE", "SKILL"):
        response = en.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        assert "service_code" in error_descriptions(response, fmt)[0]
    response = en.get(f"{BASE}/services/WAGE.{fmt}", {"jurisdiction_id": "990000"})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/open311/v2/", "/open311/v2/nothing.json", "/open311/v2/services.html"])
def test_anything_else_is_the_spec_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    error_descriptions(response, "json" if path.endswith(".json") else "xml")


def test_writes_to_read_only_resources_are_refused(client: Client) -> None:
    response = client.post(f"{BASE}/services.json", {})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    error_descriptions(response, "json")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_oversized_body_is_413_in_the_format_asked(client: Client, fmt: str) -> None:
    response = client.post(
        f"{BASE}/requests.{fmt}",
        "description=" + "x" * (1024 * 1024 + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert error_descriptions(response, fmt)


def test_a_wrong_method_gets_the_spec_error_list_even_with_csrf_checks() -> None:
    # a real server enforces CSRF; Open311 has no session, so the answer is the spec's 405, not Django's page
    client = Client(enforce_csrf_checks=True)
    response = client.post("/open311/v2/services.json", {})
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
