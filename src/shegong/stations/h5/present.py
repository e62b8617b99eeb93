"""How a station reads on the rider's phone: distances (米/公里), the walking hint, the week's hours in
words, amenity icons, and the links that open a phone's map app for walking directions.

Stations are stored in GCJ-02, which AMap, Baidu (with coord_type=gcj02) and Tencent all accept, so the
links carry the stored coordinates unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.stations.choices import Amenity, Direction
from shegong.stations.hours import ALL_DAY, WEEKDAYS, parse_day
from shegong.stations.models import Station

# Emoji, not an icon font: nothing to download, and the text label is always beside it.
AMENITY_ICONS: dict[str, str] = {
    Amenity.WATER: "💧",
    Amenity.TOILET: "🚻",
    Amenity.MICROWAVE: "🍱",
    Amenity.PHONE_CHARGING: "🔋",
    Amenity.EBIKE_CHARGING: "🛵",
    Amenity.SHELTER: "🏠",
    Amenity.SEATING: "🪑",
    Amenity.FIRST_AID: "🩹",
    Amenity.RAIN_GEAR: "☂️",
    Amenity.LEGAL_ADVICE: "⚖️",
    Amenity.COUNSELLING: "💬",
}

# Plural day names ("open on Mondays") keep these msgids apart from Django's own "Monday" (星期一).
DAY_LABELS: dict[str, Promise] = {
    "mon": gettext_lazy("Mondays"),
    "tue": gettext_lazy("Tuesdays"),
    "wed": gettext_lazy("Wednesdays"),
    "thu": gettext_lazy("Thursdays"),
    "fri": gettext_lazy("Fridays"),
    "sat": gettext_lazy("Saturdays"),
    "sun": gettext_lazy("Sundays"),
}


@dataclass(frozen=True)
class AmenityView:
    code: str
    icon: str
    label: str


@dataclass(frozen=True)
class DayView:
    key: str
    label: str
    text: str
    today: bool


@dataclass(frozen=True)
class NavLink:
    app: str
    label: str
    href: str
    fallback: str = ""  # a web page to open when the app is not installed


def amenities(codes: list[str]) -> list[AmenityView]:
    """Known amenities in the vocabulary's order (unknown codes from old data are left out)."""
    wanted = set(codes)
    return [
        AmenityView(code=str(a), icon=AMENITY_ICONS.get(a, "•"), label=str(a.label))
        for a in Amenity
        if a in wanted
    ]


def amenity_choices() -> list[AmenityView]:
    return [AmenityView(code=str(a), icon=AMENITY_ICONS.get(a, "•"), label=str(a.label)) for a in Amenity]


def distance_text(metres: float) -> str:
    """350 米 under a kilometre (to 10 m), else 1.2 公里."""
    if metres < 950:
        return _("{n} m").format(n=max(10, round(metres / 10.0) * 10))
    return _("{n} km").format(n=f"{metres / 1000:.1f}")


def walk_hint(direction: str, metres: float) -> str:
    """向东北步行约 350 米."""
    return _("Walk {direction} for about {distance}").format(
        direction=Direction(direction).label, distance=distance_text(metres)
    )


def day_text(value: Any) -> str:
    """One day's hours in words: 全天开放, 休息, or 08:00–12:00、14:00–20:00."""
    if value == ALL_DAY:
        return _("Open all day")
    if not value:
        return _("Rest day")
    try:
        ranges = parse_day(value, where="")
    except ValidationError:  # stored hours are validated; never fail a page over an old row
        return _("Rest day")
    if ranges == [(0, 24 * 60)]:
        return _("Open all day")
    sep = _(", ")
    return sep.join(f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}" for s, e in ranges)


def week(opening_hours: dict[str, Any], today: date) -> list[DayView]:
    return [
        DayView(
            key=key,
            label=str(DAY_LABELS[key]),
            text=day_text(opening_hours.get(key)),
            today=WEEKDAYS[today.weekday()] == key,
        )
        for key in WEEKDAYS
    ]


def nav_links(station: Station) -> list[NavLink]:
    """Walking directions to `station` in AMap (app, with its web page as fallback), Baidu and Tencent."""
    lat, lng = f"{station.lat:.6f}", f"{station.lng:.6f}"
    name = quote(station.name, safe="")
    amap_web = "https://uri.amap.com/navigation?" + urlencode(
        {"to": f"{lng},{lat},{station.name}", "mode": "walk", "coordinate": "gaode", "src": "shegong"}
    )
    return [
        NavLink(
            app="amap",
            label=_("AMap"),
            href=f"amapuri://route/plan/?sourceApplication=shegong&dlat={lat}&dlon={lng}&dname={name}&dev=0&t=2",
            fallback=amap_web,
        ),
        NavLink(
            app="baidu",
            label=_("Baidu Maps"),
            href=(
                f"baidumap://map/direction?destination=latlng:{lat},{lng}|name:{name}"
                "&coord_type=gcj02&mode=walking&src=shegong"
            ),
        ),
        NavLink(
            app="tencent",
            label=_("Tencent Maps"),
            href=f"qqmap://map/routeplan?type=walk&to={name}&tocoord={lat},{lng}&referer=shegong",
        ),
        NavLink(app="web", label=_("AMap on the web"), href=amap_web),
    ]
