"""Stations from Excel: every row checked, nothing written while any row is invalid (unless asked), the
row-level report, refused files, the two-step pages and their permissions."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.stations import geo, importing, services
from shegong.stations.audit_actions import StationsAction
from shegong.stations.hours_text import format_hours, parse_hours_text
from shegong.stations.importing import StationFileError, import_stations
from shegong.stations.models import Station
from tests.stations.transfer_support import HEADER, _data_dir, read_xlsx, row, xlsx  # noqa: F401
from tests.support.world import World

TRANSFER = "/desk/stations/transfer/"


def manager(world: World) -> Any:
    return world.user(Role.SOCIAL_WORKER, world.home)


def run(
    world: World, rows: list[dict[str, Any]], user: Any = None, **options: Any
) -> importing.ImportOutcome:
    return import_stations(
        io.BytesIO(xlsx(rows)), actor=user or manager(world), file_name="驿站.xlsx", **options
    )


def three(world: World) -> list[dict[str, Any]]:
    return [
        row(name="一号驿站"),
        row(name="二号驿站", division=world.home_street.code, amenities="热饭/微波炉, 手机充电"),
        row(name="三号驿站", kind="union_home", opening_hours="全天", contact_phone="", status="暂停服务"),
    ]


# --- a good file -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_creates_every_station_with_one_summary_audit_row(world: World) -> None:
    outcome = run(world, three(world))
    assert outcome.imported
    assert (outcome.created, outcome.updated, outcome.invalid) == (3, 0, 0)
    stations = {s.name: s for s in Station.all_objects.all()}
    assert set(stations) == {"一号驿站", "二号驿站", "三号驿站"}
    one = stations["一号驿站"]
    assert one.division_id == "210105001001"
    assert one.kind == "love_station"
    assert one.amenities == ["water", "toilet"]
    assert one.opening_hours == {
        **{d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["09:00", "17:00"]],
    }
    assert one.contact_phone == "13812345678"
    assert (one.lat, one.lng) == (41.8201, 123.4201)
    assert stations["二号驿站"].amenities == ["microwave", "phone_charging"]
    three_ = stations["三号驿站"]
    assert (three_.kind, three_.status, three_.contact_phone) == ("union_home", "suspended", "")
    assert three_.opening_hours == dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
    summary = AuditEvent.objects.get(action=StationsAction.IMPORTED)
    assert summary.changes["created"] == 3
    assert summary.changes["file"] == "驿站.xlsx"
    assert summary.changes["mode"] == "all_or_nothing"
    assert summary.division_code == "210105001000"  # the rows' common division: the street
    assert AuditEvent.objects.filter(action=StationsAction.CREATED).count() == 3


@pytest.mark.django_db
def test_wgs84_coordinates_are_converted_to_gcj02(world: World) -> None:
    run(world, [row(lat=41.8201, lng=123.4201, coords="WGS-84")])
    station = Station.all_objects.get()
    expected = geo.wgs84_to_gcj02(41.8201, 123.4201)
    assert station.lat == pytest.approx(expected[0], abs=1e-6)
    assert station.lng == pytest.approx(expected[1], abs=1e-6)
    assert geo.haversine_m(station.lat, station.lng, 41.8201, 123.4201) > 100


@pytest.mark.django_db
def test_operator_unit_by_name_or_number_on_the_division_line(world: World) -> None:
    outcome = run(
        world,
        [
            row(name="甲", operator_unit=world.home_unit.name),
            row(name="乙", operator_unit=str(world.home_unit.pk)),
            row(name="丙", operator_unit=world.away_unit.name),
        ],
        only_valid=True,
    )
    assert outcome.created == 2
    assert {s.operator_unit_id for s in Station.all_objects.all()} == {world.home_unit.pk}
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "operator_unit")]


@pytest.mark.django_db
def test_headers_are_matched_whatever_their_spacing_order_or_language(world: World) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append([" 名 称 ", "地址", "区划代码", "Latitude", "经度（GCJ-02）", "备注"])
    workbook.active.append(["驿站", "华山路12号", "210105001001", 41.8201, 123.4201, "随便写"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()
    outcome = import_stations(io.BytesIO(content), actor=manager(world), file_name="x.xlsx")
    assert outcome.created == 1
    assert outcome.checked.sheet.ignored == ["备注"]
    station = Station.all_objects.get()
    assert (station.kind, station.status, station.amenities, station.opening_hours) == (
        "love_station",
        "open",
        [],
        {},
    )


# --- one bad row: nothing is written -----------------------------------------------------------------------

BAD_CELLS = [
    ("bad coordinates", {"lat": "北纬41度"}, "lat"),
    ("NaN", {"lng": "NaN"}, "lng"),
    ("outside China", {"lat": 48.85, "lng": 2.35}, "lat"),
    ("unknown amenity", {"amenities": "饮水、桑拿"}, "amenities"),
    ("malformed hours", {"opening_hours": "周一至周五 早八点到晚八点"}, "opening_hours"),
    ("overlapping hours", {"opening_hours": "周一 08:00-12:00,11:00-14:00"}, "opening_hours"),
    ("overnight in one range", {"opening_hours": "周五 22:00-02:00"}, "opening_hours"),
    ("unknown division", {"division": "210105999999"}, "division"),
    ("not a division code", {"division": "皇姑区"}, "division"),
    ("bad phone", {"contact_phone": "12345"}, "contact_phone"),
    ("unknown kind", {"kind": "桑拿房"}, "kind"),
    ("unknown status", {"status": "营业中吧"}, "status"),
    ("no address", {"address": ""}, "address"),
    ("bad coordinate system", {"coords": "BD-09"}, "coords"),
    ("masked phone on a new station", {"contact_phone": "138****5678"}, "contact_phone"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "cells", "column"), BAD_CELLS, ids=[c[0] for c in BAD_CELLS])
def test_one_invalid_row_imports_nothing_and_names_row_and_column(
    world: World, label: str, cells: dict[str, Any], column: str
) -> None:
    rows = three(world)
    rows[1] = row(name="坏行", **cells)
    before = AuditEvent.objects.count()
    outcome = run(world, rows)
    assert not outcome.imported
    assert Station.all_objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert [(e.row, e.column) for e in outcome.errors] == [(3, column)], outcome.errors
    assert outcome.errors[0].message


@pytest.mark.django_db
def test_out_of_scope_division_rows_are_refused(world: World) -> None:
    rows = [row(name="远方驿站", division=world.away_street.code, lat=22.82, lng=108.38)]
    outcome = run(world, rows)
    assert not outcome.imported
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "division")]
    assert Station.all_objects.count() == 0


@pytest.mark.django_db
def test_duplicate_names_within_the_file_name_the_first_row(world: World) -> None:
    rows = [row(name="同名驿站"), row(name="别的驿站"), row(name="同名驿站")]
    outcome = run(world, rows)
    assert not outcome.imported
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "name")]
    with translation.override("en"):
        outcome = run(world, rows)
    assert "row 2" in outcome.errors[0].message
    # the same name in another division is another station
    assert (
        run(world, [row(name="同名驿站"), row(name="同名驿站", division=world.home_street.code)]).created == 2
    )


@pytest.mark.django_db
def test_only_valid_rows_imports_the_rest_and_reports_the_invalid(world: World) -> None:
    rows = three(world)
    rows[1] = row(name="坏行", lat="nan")
    outcome = run(world, rows, only_valid=True)
    assert outcome.imported
    assert (outcome.created, outcome.invalid) == (2, 1)
    assert set(Station.all_objects.values_list("name", flat=True)) == {"一号驿站", "三号驿站"}
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "lat")]
    summary = AuditEvent.objects.get(action=StationsAction.IMPORTED)
    assert (summary.changes["mode"], summary.changes["invalid"]) == ("valid_rows_only", 1)


@pytest.mark.django_db
def test_a_failure_while_writing_rolls_everything_back(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    real = services.station_create
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValidationError({"name": ["the database said no"]})
        return real(**kwargs)

    monkeypatch.setattr(services, "station_create", flaky)
    outcome = run(world, three(world))
    assert not outcome.imported
    assert Station.all_objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="stations.").exists()
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "name")]
    calls["n"] = 0
    outcome = run(world, three(world), only_valid=True)
    assert outcome.imported
    assert Station.all_objects.count() == 2
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "name")]


# --- existing stations -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_existing_station_is_updated_or_skipped(world: World) -> None:
    run(world, three(world))
    changed = three(world)
    changed[0] = row(name="一号驿站", address="沈阳市皇姑区新地址8号")
    checked = importing.check_rows(importing.read_sheet(io.BytesIO(xlsx(changed))), user=manager(world))
    assert [p.action for p in checked.plans] == ["update", "unchanged", "unchanged"]
    assert checked.plans[0].action_label
    skipped = run(world, changed, skip_existing=True)
    assert (skipped.created, skipped.updated, skipped.skipped) == (0, 0, 3)
    assert Station.all_objects.get(name="一号驿站").address == "沈阳市皇姑区华山路12号"
    updated = run(world, changed)
    assert (updated.created, updated.updated, updated.unchanged) == (0, 1, 2)
    assert Station.all_objects.get(name="一号驿站").address == "沈阳市皇姑区新地址8号"
    assert AuditEvent.objects.filter(action=StationsAction.UPDATED).count() == 1


@pytest.mark.django_db
def test_a_masked_phone_keeps_the_stored_number(world: World) -> None:
    run(world, [row()])
    outcome = run(world, [row(contact_phone="138****5678", address="新地址")])
    assert outcome.updated == 1
    station = Station.all_objects.get()
    assert (station.contact_phone, station.address) == ("13812345678", "新地址")
    wrong = run(world, [row(contact_phone="139****0000")])
    assert [(e.row, e.column) for e in wrong.errors] == [(2, "contact_phone")]


# --- opening hours as text ---------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.mark.parametrize(
    ("text", "table"),
    [
        ("", {}),
        ("全天", dict.fromkeys((*WEEKDAYS, "sat", "sun"), "24h")),
        ("08:00-20:00", {d: [["08:00", "20:00"]] for d in (*WEEKDAYS, "sat", "sun")}),
        ("每天 8:00 - 20:00", {d: [["08:00", "20:00"]] for d in (*WEEKDAYS, "sat", "sun")}),
        (
            "星期一到星期五 08:00-12:00，14:00-18:00;周末 全天",
            {d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in WEEKDAYS} | {"sat": "24h", "sun": "24h"},
        ),
        ("周六、周一 09:00～17:00；周日 休息", {"mon": [["09:00", "17:00"]], "sat": [["09:00", "17:00"]]}),
        ("周五至周一 18:00-24:00", {d: [["18:00", "24:00"]] for d in ("mon", "fri", "sat", "sun")}),
        (
            "Mon-Fri 08:00-20:00; Sat closed; Sun 24h",
            {d: [["08:00", "20:00"]] for d in WEEKDAYS} | {"sun": "24h"},
        ),
        ('{"mon": [["08:00", "12:00"]], "sun": "24h"}', {"mon": [["08:00", "12:00"]], "sun": "24h"}),
    ],
)
def test_hours_text_is_parsed(text: str, table: dict[str, Any]) -> None:
    assert parse_hours_text(text) == table


@pytest.mark.parametrize(
    "text",
    [
        "周一",
        "周八 08:00-20:00",
        "周一 08:00-20:00；周一 09:00-10:00",
        "周一 20:00-08:00",
        "周一 25:00-26:00",
        "{bad",
    ],
)
def test_malformed_hours_text_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_hours_text(text)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "table",
    [
        {},
        dict.fromkeys((*WEEKDAYS, "sat", "sun"), "24h"),
        {d: [["06:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
        {d: [["08:00", "12:00"], ["14:00", "18:00"]] for d in WEEKDAYS} | {"sun": "24h"},
        {"mon": [["00:00", "24:00"]], "wed": [["09:00", "17:00"]], "sat": [["09:00", "17:00"]]},
    ],
)
def test_hours_text_round_trips(table: dict[str, Any], language: str) -> None:
    with translation.override(language):
        text = format_hours(table)
    assert parse_hours_text(text) == table


def test_hours_text_reads_as_documented() -> None:
    table = {d: [["08:00", "20:00"]] for d in WEEKDAYS} | {"sat": [["09:00", "17:00"]]}
    with translation.override("zh-hans"):
        assert format_hours(table) == "周一至周五 08:00-20:00；周六 09:00-17:00；周日 休息"
        assert format_hours(dict.fromkeys((*WEEKDAYS, "sat", "sun"), "24h")) == "全天"


# --- files that are not a station workbook -----------------------------------------------------------------


def _refused(content: bytes) -> str:
    with pytest.raises(StationFileError) as caught, translation.override("en"):
        import_stations(io.BytesIO(content), actor=None, file_name="x.xlsx")
    return caught.value.message


def _refused_path(tmp_path: Any, content: bytes) -> str:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(StationFileError) as caught, translation.override("en"):
        importing.read_sheet(path)
    return caught.value.message


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (PNG, "PNG image"),
        ("名称,区划代码,地址\n驿站,210105001001,华山路\n".encode(), "CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"", "empty"),
    ],
)
def test_non_xlsx_files_are_refused_by_content(tmp_path: Any, content: bytes, words: str) -> None:
    assert words in _refused_path(tmp_path, content)
    assert words in _refused(content)  # a stream is checked the same way


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in _refused_path(tmp_path, buffer.getvalue())


@pytest.mark.django_db
def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_UNCOMPRESSED_BYTES", 200_000)
    filler = "驿" * 30_000
    content = xlsx([row(name=f"驿站{i}", address=filler + str(i)) for i in range(10)])
    assert len(content) < 200_000  # small on disk, large unpacked
    assert "unpacks to more than" in _refused_path(tmp_path, content)


@pytest.mark.django_db
def test_too_many_rows_are_refused(tmp_path: Any) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for i in range(importing.MAX_ROWS + 1):
        sheet.append([f"驿站{i}", "", "210105001001", "", "地址", 41.8, 123.4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert f"more than {importing.MAX_ROWS} stations" in _refused_path(tmp_path, buffer.getvalue())


@pytest.mark.django_db
def test_a_sheet_stretching_to_a_far_row_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_SCANNED_ROWS", 1000)
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["驿站", "", "210105001001", "", "地址", 41.8, 123.4])
    sheet.cell(row=50_000, column=1, value="far away")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "more than 1000 rows" in _refused_path(tmp_path, buffer.getvalue())


@pytest.mark.django_db
def test_missing_required_columns_are_named(tmp_path: Any) -> None:
    message = _refused_path(tmp_path, xlsx([row()], header=["名称", "地址"]))
    assert "Division code" in message
    assert "Latitude" in message


# --- the pages ---------------------------------------------------------------------------------------------


def upload(client: Client, content: bytes, name: str = "驿站.xlsx") -> Any:
    return client.post(TRANSFER, {"file": _named(content, name)})


def _named(content: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.mark.django_db
def test_upload_preview_confirm(world: World, client: Client) -> None:
    client.force_login(manager(world))
    assert client.get(TRANSFER).status_code == 200
    response = upload(client, xlsx(three(world)))
    assert response.status_code == 302
    preview_url = response["Location"]
    assert preview_url.startswith(TRANSFER + "preview/")
    preview = client.get(preview_url)
    assert preview.status_code == 200
    body = preview.content.decode()
    assert 'data-testid="count-create">3<' in body
    assert 'data-action="create"' in body
    assert Station.all_objects.count() == 0  # nothing before the confirmation
    done = client.post(preview_url + "import/")
    assert done.status_code == 200
    assert 'data-testid="count-created">3<' in done.content.decode()
    assert Station.all_objects.count() == 3
    # the kept file is gone after a clean import; the same token cannot import twice
    assert not list((world_tmp_folder()).glob("*.xlsx"))
    again = client.post(preview_url + "import/")
    assert again.status_code == 404
    assert Station.all_objects.count() == 3


def world_tmp_folder() -> Any:
    from shegong.stations.desk.transfer_views import upload_folder

    return upload_folder()


@pytest.mark.django_db
def test_invalid_rows_refuse_the_import_and_the_report_names_them(world: World, client: Client) -> None:
    client.force_login(manager(world))
    rows = three(world)
    rows[2] = row(name="=cmd|' /C calc'!A0", lat=48.85, lng=2.35)
    preview_url = upload(client, xlsx(rows))["Location"]
    preview = client.get(preview_url).content.decode()
    assert 'data-testid="count-invalid">1<' in preview
    assert 'data-row="4" data-column="lat"' in preview
    refused = client.post(preview_url + "import/")
    assert refused.status_code == 400
    assert 'data-testid="import-refused"' in refused.content.decode()
    assert Station.all_objects.count() == 0
    report = client.get(preview_url + "errors/")
    assert report.status_code == 200
    content = b"".join(report.streaming_content)
    sheet = read_xlsx(content)
    assert sheet[0][: len(HEADER)] == HEADER
    assert len(sheet[0]) == len(HEADER) + 1  # the 错误 column
    assert [r[-1] for r in sheet[1:]][:2] == [None, None] or [r[-1] for r in sheet[1:]][:2] == ["", ""]
    assert sheet[3][0] == "'=cmd|' /C calc'!A0"  # neutralised in the report
    assert sheet[3][-1]
    # ticking "only the valid rows" imports the other two
    done = client.post(preview_url + "import/", {"only_valid": "on"})
    assert done.status_code == 200
    assert Station.all_objects.count() == 2
    assert client.get(preview_url + "errors/").status_code == 200  # the report stays downloadable


@pytest.mark.django_db
def test_refused_files_are_explained_on_the_upload_page(world: World, client: Client) -> None:
    client.force_login(manager(world))
    response = upload(client, PNG, name="photo.xlsx")
    assert response.status_code == 400
    # Pages answer in the site's language (Chinese) whatever the request asked for.
    with translation.override(settings.LANGUAGE_CODE):
        what = translation.gettext("a PNG image")
    assert what != "a PNG image"  # the catalogue has it, so the check below is about the page
    assert what in response.content.decode()
    assert not list(world_tmp_folder().iterdir())


@pytest.mark.django_db
def test_another_session_cannot_open_an_upload(world: World, client: Client) -> None:
    client.force_login(manager(world))
    preview_url = upload(client, xlsx([row()]))["Location"]
    other = Client()
    other.force_login(manager(world))
    assert other.get(preview_url).status_code == 404
    assert other.post(preview_url + "import/").status_code == 404
    assert other.get(preview_url + "errors/").status_code == 404
    assert other.get(TRANSFER + "preview/../../etc/").status_code == 404
    assert Station.all_objects.count() == 0


@pytest.mark.django_db
def test_expired_uploads_are_removed(world: World, client: Client) -> None:
    import time

    from shegong.stations.desk import transfer_views

    client.force_login(manager(world))
    preview_url = upload(client, xlsx([row()]))["Location"]
    folder = world_tmp_folder()
    (kept,) = folder.glob("*.xlsx")
    transfer_views.purge_expired(folder, now=time.time() + transfer_views.UPLOAD_TTL_SECONDS + 1)
    assert not kept.exists()
    assert client.get(preview_url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADER, Role.VOLUNTEER])
def test_without_manage_permission_every_import_page_is_403(world: World, client: Client, role: str) -> None:
    client.force_login(world.user(role, world.home))
    assert client.get(TRANSFER).status_code == 403
    assert client.get(TRANSFER + "template/").status_code == 403
    assert upload(client, xlsx([row()])).status_code == 403
    assert client.get(TRANSFER + "preview/" + "a" * 32 + "/").status_code == 403
    assert Station.all_objects.count() == 0


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client: Client) -> None:
    for url in (TRANSFER, TRANSFER + "template/", TRANSFER + "export/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_upload_needs_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager(world))
    response = client.post(TRANSFER, {"file": _named(xlsx([row()]), "x.xlsx")})
    assert response.status_code == 403
    assert not list(world_tmp_folder().iterdir())


@pytest.mark.django_db
def test_the_template_has_headers_an_example_and_the_allowed_values(world: World, client: Client) -> None:
    user = manager(world)
    client.force_login(user)
    with translation.override("zh-hans"):
        response = client.get(TRANSFER + "template/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = read_xlsx(content)
    assert len(rows) == 2
    notes = read_xlsx(content, sheet=1)
    assert any(r and r[-1] == "water" for r in notes)
    # the example row imports as it stands (into the user's own division)
    outcome = import_stations(io.BytesIO(content), actor=user, file_name="template.xlsx")
    assert outcome.created == 1, outcome.errors


@pytest.mark.django_db
def test_rows_outside_the_users_jurisdiction_are_refused_on_the_page(world: World, client: Client) -> None:
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home_street))
    rows = [
        row(name="街道驿站", division=world.home_street.code),
        row(name="区里驿站", division=world.home.code),
    ]
    preview_url = upload(client, xlsx(rows))["Location"]
    preview = client.get(preview_url).content.decode()
    assert 'data-row="3" data-column="division"' in preview
    assert client.post(preview_url + "import/").status_code == 400
    assert Station.all_objects.count() == 0
    assert client.post(preview_url + "import/", {"only_valid": "on"}).status_code == 200
    assert list(Station.all_objects.values_list("name", flat=True)) == ["街道驿站"]


@pytest.mark.django_db
def test_skip_existing_on_the_page_leaves_stations_as_they_are(world: World, client: Client) -> None:
    user = manager(world)
    run(world, [row()], user=user)
    client.force_login(user)
    preview_url = upload(client, xlsx([row(address="新地址"), row(name="新驿站")]))["Location"]
    assert 'data-action="update"' in client.get(preview_url).content.decode()
    done = client.post(preview_url + "import/", {"skip_existing": "on"})
    body = done.content.decode()
    assert 'data-testid="count-skipped">1<' in body
    assert 'data-testid="count-created">1<' in body
    assert Station.all_objects.get(name="华山路爱心驿站").address == "沈阳市皇姑区华山路12号"
