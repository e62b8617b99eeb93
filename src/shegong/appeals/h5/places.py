"""The place picker of the filing form: district → street → community selects.

Each select lists the children of the one above; a lower choice that does not belong to the upper one
(the worker changed the district) is dropped, so the picker never shows an impossible combination. The
same state is rendered by the full page (no JavaScript: a "show streets" round trip) and by the htmx
partial. Divisions have no retirement flag, so every division in the table is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.divisions.choices import Level
from shegong.divisions.models import Division

# select name → level of the divisions it lists, top first
FIELDS: tuple[tuple[str, int, Promise], ...] = (
    ("district", Level.COUNTY, _("District or county")),
    ("street", Level.STREET, _("Street or town")),
    ("community", Level.COMMUNITY, _("Community or village")),
)
# 直辖市 list their districts under a placeholder "city" (市辖区/县); the province name reads better.
_PLACEHOLDER_CITIES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass
class PlaceSelect:
    name: str
    label: str | Promise
    options: list[tuple[str, str]]
    selected: str = ""


@dataclass
class Picker:
    selects: list[PlaceSelect] = field(default_factory=list)
    chosen: Division | None = None


def _district_label(district: Division) -> str:
    city = district.parent
    if city is not None and city.name in _PLACEHOLDER_CITIES and city.parent is not None:
        city = city.parent
    return f"{city.name} {district.name}" if city is not None else district.name


def _districts() -> list[tuple[str, str]]:
    rows = Division.objects.filter(level=Level.COUNTY).select_related("parent__parent").order_by("code")
    return [(d.code, _district_label(d)) for d in rows]


def _children(parent_code: str) -> list[tuple[str, str]]:
    return list(Division.objects.filter(parent_id=parent_code).order_by("code").values_list("code", "name"))


def build(data: Mapping[str, str]) -> Picker:
    """The selects for the values in `data` (GET or POST), keeping only a consistent chain of choices."""
    picker = Picker()
    options = _districts()
    chosen_code = ""
    for name, _level, label in FIELDS:
        wanted = (data.get(name) or "").strip()
        selected = wanted if wanted in {code for code, _n in options} else ""
        picker.selects.append(PlaceSelect(name=name, label=label, options=options, selected=selected))
        if not selected:
            break
        chosen_code = selected
        options = _children(selected)
        if not options:
            break
    if chosen_code:
        picker.chosen = Division.objects.get(code=chosen_code)
    return picker


def resolve(data: Mapping[str, str]) -> Division:
    """The deepest division chosen in `data`, checked: it exists, it is at least a district, and each
    choice lies under the one above. Raises ValidationError with a message for the worker."""
    codes = {name: (data.get(name) or "").strip() for name, _l, _t in FIELDS}
    if not codes["district"]:
        raise ValidationError(gettext("Choose the district where it happened."), code="required")
    unknown = ValidationError(
        gettext("The place you chose is not in our list. Please choose it again."), code="unknown_division"
    )
    parent: Division | None = None
    for name, level, _label in FIELDS:
        code = codes[name]
        if not code:
            break
        division = Division.objects.filter(code=code, level=level).first()
        if division is None or (parent is not None and division.parent_id != parent.code):
            raise unknown
        parent = division
    if parent is None:  # unreachable: the district is required above
        raise unknown
    return parent
