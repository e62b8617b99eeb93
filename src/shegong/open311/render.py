"""One document, two formats: GeoReport v2 XML (with the declaration, UTF-8, no namespace) and its JSON
mapping (the spec's Spark convention: the root element is dropped, repeated elements become arrays).

A document is built from dicts (elements in order), `Many` (a repeated element) and scalars. Empty values
are empty elements in XML and `null` in JSON, as in the spec's examples; times carry their offset.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF); a worker's
# text pasted from a chat app may hold one, and the document must still parse.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Many:
    """A repeated element: `<tag>` once per item in XML, an array in JSON."""

    tag: str
    items: Sequence[Any]


class Open311Error(Exception):
    """Answer with the spec's error list: 404 for what does not exist, 403 for a wrong or missing api_key,
    400 for anything else the request cannot do (several descriptions: one <error> each)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = list(descriptions)


def format_of(path: str) -> str:
    """The format a path asks for; XML, the spec's required format, when it names neither."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"


def timestamp(value: dt.datetime) -> str:
    """W3C date-time in the platform's time zone with its offset, e.g. 2026-11-30T10:00:00+08:00."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def render(fmt: str, root: str, document: Any, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(_json(document), ensure_ascii=False).encode()
    else:
        element = ET.Element(root)
        _fill(element, document)
        body = (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    """The spec's error list; each error's code is the HTTP status it is answered with."""
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt, "errors", Many("error", errors), status=status)


# --- XML ---------------------------------------------------------------------------------------------------
def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(ET.SubElement(element, value.tag), item)
    elif isinstance(value, dict):
        for tag, child in value.items():
            _fill(ET.SubElement(element, tag), child)
    else:
        text = _xml_text(value)
        if text:
            element.text = text


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return timestamp(value)
    return _NOT_XML.sub("", str(value))


# --- JSON --------------------------------------------------------------------------------------------------
def _json(value: Any) -> Any:
    if isinstance(value, Many):
        return [_json(item) for item in value.items]
    if isinstance(value, dict):
        return {key: _json(child) for key, child in value.items()}
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, Decimal):
        return float(value)
    return value
