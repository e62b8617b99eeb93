"""Services and their definitions: a service is an appeal category (first or second level), and every
service asks for the same attributes — the structured fields of an appeal (appeals.md: worker type,
platform, appeal type), plus whether to hide the phone from the unit and the caller's own reference."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import AppealType, WorkerType
from shegong.appeals.h5.forms import PLATFORMS
from shegong.appeals.models import Category
from shegong.open311.render import Many

# GeoReport v2 datatypes (only these two are used here; the spec also has number, datetime, text and
# multivaluelist)
STRING, SINGLE_VALUE_LIST = "string", "singlevaluelist"
SOURCE_REF_MAX = 64  # Appeal.source_ref

_KEYWORD_SPLIT = re.compile(r"[、，,；;/（）()“”\"\s]+")


def _yes_no() -> list[tuple[str, Any]]:
    return [("false", _("No")), ("true", _("Yes"))]


def _platforms() -> list[tuple[str, Any]]:
    # The names workers pick on the H5 form; the key is the name itself, as stored on the appeal.
    return [(name, name) for name in PLATFORMS]


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    order: int
    description: Promise
    values: Callable[[], Sequence[tuple[str, Any]]] | None = None
    datatype_description: Promise | str = ""
    max_length: int = 0

    def allowed(self) -> list[str]:
        return [key for key, _name in self.values()] if self.values else []

    def render(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "variable": True,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": str(self.datatype_description),
            "order": self.order,
            "description": str(self.description),
        }
        if self.values:
            entry["values"] = Many("value", [{"key": k, "name": str(n)} for k, n in self.values()])
        return entry


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "worker_type",
        SINGLE_VALUE_LIST,
        True,
        1,
        _("The worker's kind of work."),
        values=lambda: WorkerType.choices,
    ),
    Attribute(
        "appeal_type",
        SINGLE_VALUE_LIST,
        True,
        2,
        _("What the worker wants: an answer, help, to complain, to report, to suggest or to praise."),
        values=lambda: AppealType.choices,
    ),
    Attribute(
        "platform",
        SINGLE_VALUE_LIST,
        False,
        3,
        _("The platform or company the worker works through."),
        values=_platforms,
    ),
    Attribute(
        "anonymous",
        SINGLE_VALUE_LIST,
        False,
        4,
        _("Hide the worker's phone number from the handling unit (intake still sees it to call back)."),
        values=_yes_no,
    ),
    Attribute(
        "source_ref",
        STRING,
        False,
        5,
        _("Your own reference for this request, shown to staff and returned to you."),
        datatype_description=_("At most 64 characters."),
        max_length=SOURCE_REF_MAX,
    ),
)


def active_categories() -> list[Category]:
    """Categories in use, each first-level one followed by its second-level ones."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent"))

    def key(c: Category) -> tuple[Any, ...]:
        top = c.parent or c
        return (top.order, top.code, c.parent_id is not None, c.order, c.code)

    return sorted(rows, key=key)


def active_category(code: str) -> Category | None:
    return Category.objects.filter(code=code.strip(), is_active=True).select_related("parent").first()


def keywords(category: Category) -> str:
    """The category's name and the phrases of what it covers (欠薪、拖延结算… → 欠薪, 拖延结算)."""
    words = [category.name, *_KEYWORD_SPLIT.split(category.scope)]
    return ", ".join(dict.fromkeys(w for w in (w.strip() for w in words) if w))


def service_entry(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.scope or category.name,
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",  # the appeal is filed while the client waits: the answer carries its number
        "keywords": keywords(category),
        "group": (category.parent or category).name,
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": Many("attribute", [a.render() for a in ATTRIBUTES])}
