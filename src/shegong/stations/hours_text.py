"""Opening hours as people write them in a spreadsheet cell, and back (the 开放时间 column of the Excel
import and export, docs/stations-transfer.md):

    周一至周五 08:00-20:00；周六 09:00-17:00；周日 休息
    全天 · 每天 06:00-22:00 · 周末 全天 · Mon-Fri 08:00-20:00; Sat closed; Sun 24h

`parse_hours_text` gives the weekly table of `hours` (validated by `hours.validate_opening_hours`; the JSON
table itself is accepted too); `format_hours` writes a table in the active language's words, grouping
consecutive days with the same hours. The two are exact inverses.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from shegong.stations import hours

DAY_NAMES = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
WORDS = {
    "zh": {"all_day": "全天", "closed": "休息", "every_day": "每天", "to": "至", "sep": "；"},
    "en": {"all_day": "24h", "closed": "closed", "every_day": "daily", "to": "-", "sep": "; "},
}
_ZH_DAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_DAY = {
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))},
    "sunday": 6,
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_ALL_DAYS = ("每天", "每日", "天天", "全周", "daily", "everyday", "every day", "all week")
_WORKDAYS = ("工作日", "weekdays", "weekday")
_WEEKEND = ("周末", "双休日", "weekend", "weekends")
_ALL_DAY_TIMES = ("全天", "24小时", "24h", "all day", "allday", "全天开放", "24小时开放")
_CLOSED_TIMES = ("休息", "关闭", "闭馆", "不开放", "closed")
_TIMES_START = re.compile(
    r"\d{1,2}:\d{2}|全天|24小时|24\s*h\b|all\s*day|休息|关闭|闭馆|不开放|closed", re.IGNORECASE
)
_DASHES = r"(?:-|~|至|到|–|—)"
_RANGE = re.compile(rf"^(\d{{1,2}}):(\d{{2}}){_DASHES}(\d{{1,2}}):(\d{{2}})$")


def _hours_error(message: str) -> ValidationError:
    return ValidationError(message, code="bad_hours_text")


def _one_day(token: str) -> int | None:
    token = token.strip().lower()
    for prefix in ("星期", "礼拜", "周"):
        if token.startswith(prefix):
            return _ZH_DAY.get(token[len(prefix) :])
    return _EN_DAY.get(token.rstrip("."))


def _days(text: str, segment: str) -> list[int]:
    text = text.strip().strip(":").strip().lower()
    if not text or text in _ALL_DAYS:
        return list(range(7))
    if text in _WORKDAYS:
        return list(range(5))
    if text in _WEEKEND:
        return [5, 6]
    text = re.sub(rf"\s*{_DASHES}\s*", lambda m: m.group(0).strip(), text)
    days: list[int] = []
    for item in re.split(r"[、,\s]+", text):
        if not item:
            continue
        parts = re.split(_DASHES, item)
        ends = [_one_day(p) for p in parts]
        if len(parts) > 2 or any(e is None for e in ends):
            raise _hours_error(
                _("“{segment}”: “{days}” is not a weekday or a range of weekdays such as 周一至周五.").format(
                    segment=segment, days=item
                )
            )
        first, last = ends[0] or 0, ends[-1] or 0  # never None here: checked just above
        span = (last - first) % 7
        days.extend((first + i) % 7 for i in range(span + 1))
    return days


def _times(text: str, segment: str) -> Any:
    """None for closed, "24h", or a list of [start, end] pairs."""
    compact = re.sub(r"\s+", " ", text.strip().lower())
    if compact in _ALL_DAY_TIMES or compact.replace(" ", "") in _ALL_DAY_TIMES:
        return hours.ALL_DAY
    if compact in _CLOSED_TIMES:
        return None
    compact = re.sub(rf"\s*{_DASHES}\s*", lambda m: m.group(0).strip(), compact)
    ranges: list[list[str]] = []
    for item in re.split(r"[、,\s]+", compact):
        if not item:
            continue
        match = _RANGE.match(item)
        if not match:
            raise _hours_error(
                _("“{segment}”: “{times}” is not a time range such as 08:00-20:00.").format(
                    segment=segment, times=item
                )
            )
        h1, m1, h2, m2 = match.groups()
        start, end = f"{int(h1):02d}:{m1}", f"{int(h2):02d}:{m2}"
        if end <= start and end != "00:00":
            raise _hours_error(
                _(
                    "“{segment}”: {start}-{end} closes before it opens. Write a night past midnight as two "
                    "days, e.g. 周五 22:00-24:00；周六 00:00-02:00."
                ).format(segment=segment, start=start, end=end)
            )
        ranges.append([start, "24:00" if end == "00:00" else end])
    return ranges


def parse_hours_text(value: str) -> dict[str, Any]:
    """The weekly table for a cell of the 开放时间 column (text format or JSON). Raises ValidationError."""
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            given = json.loads(text)
        except ValueError as exc:
            raise _hours_error(_("The opening hours look like JSON but cannot be read.")) from exc
        hours.validate_opening_hours(given)
        return {day: given[day] for day in hours.WEEKDAYS if day in given and given[day] != []}
    table: dict[int, Any] = {}
    seen: set[int] = set()
    for segment in re.split(r"[;\n。]+", text):
        segment = segment.strip()
        if not segment:
            continue
        match = _TIMES_START.search(segment)
        if match is None:
            raise _hours_error(
                _("“{segment}”: give times such as 08:00-20:00, or 全天, or 休息.").format(segment=segment)
            )
        days = _days(segment[: match.start()], segment)
        spec = _times(segment[match.start() :], segment)
        for day in days:
            if day in seen:
                raise _hours_error(
                    _("{day} is given more than once in the opening hours.").format(day=DAY_NAMES["zh"][day])
                )
            seen.add(day)
            if spec is not None:
                table[day] = spec
    result = {hours.WEEKDAYS[d]: table[d] for d in sorted(table)}
    hours.validate_opening_hours(result)
    return result


def canonical_hours(table: Any) -> Any:
    if not isinstance(table, dict):
        return table
    return {d: [list(r) for r in v] if isinstance(v, list) else v for d, v in table.items() if v != []}


def format_hours(table: Any) -> str:
    """The weekly table in the text format, in the active language's words (parse_hours_text reads both)."""
    lang = "zh" if (translation.get_language() or "zh").startswith("zh") else "en"
    names, words = DAY_NAMES[lang], WORDS[lang]
    table = canonical_hours(table) or {}
    specs: list[Any] = []
    for day in hours.WEEKDAYS:
        value = table.get(day)
        specs.append(tuple(tuple(r) for r in value) if isinstance(value, list) else value)

    def times(spec: Any) -> str:
        if spec is None:
            return words["closed"]
        if spec == hours.ALL_DAY:
            return words["all_day"]
        return ",".join(f"{start}-{end}" for start, end in spec)

    if all(s == specs[0] for s in specs):
        if specs[0] is None:
            return ""
        if specs[0] == hours.ALL_DAY:
            return words["all_day"]
        return f"{words['every_day']} {times(specs[0])}"
    parts: list[str] = []
    start = 0
    for index in range(1, 8):
        if index == 7 or specs[index] != specs[start]:
            days = names[start] if index - 1 == start else f"{names[start]}{words['to']}{names[index - 1]}"
            parts.append(f"{days} {times(specs[start])}")
            start = index
    return words["sep"].join(parts)
