"""Workbooks built in the tests with openpyxl, for the import and export tests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

HEADER = [
    "名称",
    "类型",
    "区划代码",
    "运营单位",
    "地址",
    "纬度",
    "经度",
    "坐标系",
    "设施",
    "开放时间",
    "联系电话",
    "状态",
]
KEYS = [
    "name",
    "kind",
    "division",
    "operator_unit",
    "address",
    "lat",
    "lng",
    "coords",
    "amenities",
    "opening_hours",
    "contact_phone",
    "status",
]


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "华山路爱心驿站",
        "kind": "爱心驿站",
        "division": "210105001001",
        "operator_unit": "",
        "address": "沈阳市皇姑区华山路12号",
        "lat": 41.8201,
        "lng": 123.4201,
        "coords": "GCJ-02",
        "amenities": "饮水、如厕",
        "opening_hours": "周一至周五 08:00-20:00；周六 09:00-17:00；周日 休息",
        "contact_phone": "13812345678",
        "status": "正常服务",
    }
    base.update(values)
    return base


def xlsx(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    header = header or HEADER
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(KEYS[HEADER.index(h)]) if h in HEADER else None for h in header])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed into Excel, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes, sheet: int = 0) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in workbook.worksheets[sheet].iter_rows(values_only=True)]


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    """Uploads are kept under DATA_DIR/tmp: a folder of the test's own."""
    settings.DATA_DIR = tmp_path
