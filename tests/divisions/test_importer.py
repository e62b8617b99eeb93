"""Importing the official division code list: validation with line numbers, all-or-nothing, upsert."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shegong.core.models import AuditEvent
from shegong.divisions.audit_actions import DivisionsAction
from shegong.divisions.importer import DivisionFileError, import_divisions
from shegong.divisions.models import Division

pytestmark = pytest.mark.django_db

GOOD = """code,name
210000000000,辽宁省
210100000000,沈阳市
210105000000,皇姑区
210105001000,华山街道
210105001001,华山社区
210105001002,岐山社区
"""


def _csv(tmp_path: Path, text: str, *, bom: bool = False, name: str = "codes.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _seed(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_divisions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_builds_the_tree_with_levels_and_parents(tmp_path: Path) -> None:
    out, _err = _seed(_csv(tmp_path, GOOD))

    community = Division.objects.get(code="210105001002")
    assert community.name == "岐山社区"
    assert community.level == 12
    assert community.parent_id == "210105001000"
    assert Division.objects.get(code="210105001000").parent_id == "210105000000"
    assert Division.objects.get(code="210000000000").parent is None
    assert Division.objects.count() == 6
    assert "6" in out  # the summary counts what was created


def test_one_audit_row_per_import_run(tmp_path: Path) -> None:
    _seed(_csv(tmp_path, GOOD))
    events = AuditEvent.objects.filter(action=DivisionsAction.DIVISIONS_IMPORTED)
    assert events.count() == 1
    assert events.get().changes["created"] == 6


def test_children_listed_before_parents_still_import(tmp_path: Path) -> None:
    reversed_rows = "code,name\n" + "\n".join(reversed(GOOD.strip().splitlines()[1:])) + "\n"
    _seed(_csv(tmp_path, reversed_rows))
    assert Division.objects.count() == 6


def test_bom_is_accepted(tmp_path: Path) -> None:
    _seed(_csv(tmp_path, GOOD, bom=True))
    assert Division.objects.get(code="210000000000").name == "辽宁省"


def test_prefix_codes_are_padded_and_level_parent_columns_are_checked(tmp_path: Path) -> None:
    text = (
        "code,name,level,parent\n45,广西壮族自治区,2,\n4501,南宁市,4,45\n"
        "450103,青秀区,6,4501\n450103001,新竹街道,9,450103\n"
    )
    _seed(_csv(tmp_path, text))
    street = Division.objects.get(code="450103001000")
    assert street.level == 9
    assert street.parent_id == "450103000000"


def test_six_digit_gb2260_city_code_is_read_as_the_city(tmp_path: Path) -> None:
    # In the 6-digit administrative code list a city is written 450100: padding makes it level 4.
    _seed(_csv(tmp_path, "code,name\n450000,广西壮族自治区\n450100,南宁市\n"))
    assert Division.objects.get(code="450100000000").level == 4


def test_chinese_header_names_are_understood(tmp_path: Path) -> None:
    _seed(_csv(tmp_path, "统计用区划代码,名称\n15,内蒙古自治区\n"))
    assert Division.objects.filter(code="150000000000").exists()


BROKEN = """code,name,level
21,辽宁省,2
2101,沈阳市,6
21AB,坏代码
210105,
210199001,无上级街道
21,辽宁省重复
12345,五位数
00,零开头
"""


def test_broken_file_reports_every_bad_line_and_imports_nothing(tmp_path: Path) -> None:
    result = import_divisions(_csv(tmp_path, BROKEN))

    lines = {e.line for e in result.errors}
    assert lines == {3, 4, 5, 6, 7, 8, 9}
    messages = {e.line: str(e) for e in result.errors}
    assert "3" in messages[3]
    assert "210100000000" in messages[3]  # level 6 given for a city code
    assert "21AB" in messages[4]
    assert "210199000000" in messages[6]  # missing parent named
    assert "2" in messages[7]  # duplicate points at line 2
    assert not result.imported
    assert Division.objects.count() == 0
    assert not AuditEvent.objects.filter(action=DivisionsAction.DIVISIONS_IMPORTED).exists()


def test_command_fails_with_line_numbers_and_writes_nothing(tmp_path: Path) -> None:
    path = _csv(tmp_path, BROKEN)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("seed_divisions", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    # msgid "Line {line}: …" renders as 第 N 行：… in Chinese; accept either catalogue state.
    assert ("Line 4:" in report) or ("第 4 行" in report)
    assert Division.objects.count() == 0


def test_skip_invalid_imports_valid_rows_whose_parents_are_valid(tmp_path: Path) -> None:
    text = """code,name
21,辽宁省
2101,
210105,皇姑区
45,广西壮族自治区
4501,南宁市
"""
    path = _csv(tmp_path, text)
    assert import_divisions(path, skip_invalid=True, dry_run=True).skipped == 2
    _out, err = _seed(path, "--skip-invalid")

    assert set(Division.objects.values_list("code", flat=True)) == {
        "210000000000",
        "450000000000",
        "450100000000",
    }
    # 皇姑区 is valid itself but its parent (line 3) is not: it is skipped and says why.
    assert "210100000000" in err


def test_upsert_updates_names_and_keeps_others(tmp_path: Path) -> None:
    _seed(_csv(tmp_path, GOOD))
    renamed = GOOD.replace("华山社区", "华山里社区") + "210105001003,泰山社区\n"
    result = import_divisions(_csv(tmp_path, renamed, name="v2.csv"))

    assert (result.created, result.updated, result.unchanged) == (1, 1, 5)
    assert Division.objects.get(code="210105001001").name == "华山里社区"
    assert Division.objects.count() == 7


def test_import_adopts_a_demo_row(tmp_path: Path) -> None:
    Division.objects.create(code="210000000000", name="辽宁省", level=2, is_demo=True)
    import_divisions(_csv(tmp_path, "code,name\n21,辽宁省\n"))
    assert Division.objects.get(code="210000000000").is_demo is False


def test_parent_may_already_be_in_the_database(tmp_path: Path) -> None:
    _seed(_csv(tmp_path, "code,name\n21,辽宁省\n2101,沈阳市\n"))
    _seed(_csv(tmp_path, "code,name\n210105,皇姑区\n", name="county.csv"))
    assert Division.objects.get(code="210105000000").parent_id == "210100000000"


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    out, _err = _seed(_csv(tmp_path, GOOD), "--dry-run")
    assert Division.objects.count() == 0
    assert "6" in out


def test_not_utf8_is_a_clear_file_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("code,name\n21,辽宁省\n".encode("gbk"))
    with pytest.raises(DivisionFileError):
        import_divisions(path)
    with pytest.raises(CommandError):
        call_command("seed_divisions", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_missing_header_column_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DivisionFileError) as excinfo:
        import_divisions(_csv(tmp_path, "code,title\n21,辽宁省\n"))
    assert "name" in str(excinfo.value)


def test_a_thousand_rows_import_in_one_run(tmp_path: Path) -> None:
    rows = ["code,name", "65,测试省", "6501,测试市", "650102,测试区"]
    for s in range(1, 11):
        rows.append(f"650102{s:03d},街道{s}")
        rows.extend(f"650102{s:03d}{c:03d},社区{s}-{c}" for c in range(1, 100))
    result = import_divisions(_csv(tmp_path, "\n".join(rows) + "\n"))
    assert result.created == 3 + 10 + 990
    assert Division.objects.filter(level=12).count() == 990


def test_a_non_ascii_level_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    # "²" passes str.isdigit() but int() refuses it: the row is reported, the file is not a traceback.
    result = import_divisions(_csv(tmp_path, "code,name,level\n210000000000,辽宁省,²\n"))
    assert [e.line for e in result.errors] == [2]
    assert "²" in str(result.errors[0])
    assert not result.imported
    assert Division.objects.count() == 0
