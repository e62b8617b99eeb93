"""Table checksums: equal content gives equal checksums, any different content a different one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from shegong.ops.digest import canonical, digest_rows


def test_values_of_different_types_never_render_alike() -> None:
    values = [1, "1", True, 1.0, Decimal("1"), b"1", None, "N", "", b""]
    assert len({canonical(v) for v in values}) == len(values)


def test_row_and_value_boundaries_count() -> None:
    assert digest_rows([("ab", "c")])["sha256"] != digest_rows([("a", "bc")])["sha256"]
    assert digest_rows([("a",), ("b",)])["sha256"] != digest_rows([("a", "b")])["sha256"]
    assert digest_rows([("a",), ("b",)])["sha256"] != digest_rows([("b",), ("a",)])["sha256"]


def test_the_same_instant_in_another_time_zone_is_the_same_value() -> None:
    shanghai = timezone(timedelta(hours=8))
    instant = datetime(2025, 1, 31, 9, 30, tzinfo=shanghai)
    assert canonical(instant) == canonical(instant.astimezone(UTC))
    assert canonical(instant) != canonical(instant + timedelta(microseconds=1))


def test_json_key_order_does_not_matter_but_values_do() -> None:
    assert canonical({"a": 1, "b": [1, 2]}) == canonical({"b": [1, 2], "a": 1})
    assert canonical({"a": 1, "b": [1, 2]}) != canonical({"a": 1, "b": [2, 1]})


def test_counts_rows_and_is_stable() -> None:
    rows = [(1, "张三", None), (2, "李四", b"\x00")]
    first, again = digest_rows(rows), digest_rows(list(rows))
    assert first == again
    assert first["rows"] == 2
    assert digest_rows([])["rows"] == 0
