"""The tiles on the H5 home page. A tile links to its page once a module provides the URL name; until then
it shows as "coming soon" (a disabled card, never a dead link).

A module that ships one of these pages either uses the URL name below or re-registers the tile:

    from shegong.web.h5 import H5Tile, register

    register(H5Tile("submit", _("Submit an appeal"), "appeals:h5_submit", _("…"), order=10))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class H5Tile:
    key: str
    label: str | Promise
    url_name: str
    description: str | Promise = ""
    order: int = 100


_TILES: dict[str, H5Tile] = {}


def register(*tiles: H5Tile) -> None:
    """Add or replace tiles by key (a module's registration replaces the default placeholder)."""
    for tile in tiles:
        _TILES[tile.key] = tile


def tiles() -> list[dict[str, Any]]:
    out = []
    for tile in sorted(_TILES.values(), key=lambda t: (t.order, t.key)):
        try:
            url = reverse(tile.url_name)
        except NoReverseMatch:
            url = ""
        out.append({"key": tile.key, "label": tile.label, "description": tile.description, "url": url})
    return out


register(
    H5Tile(
        "submit",
        _("Submit an appeal"),
        "appeals:h5_submit",
        _("Tell us about unpaid wages, unfair penalties, accidents or any other difficulty at work."),
        order=10,
    ),
    H5Tile(
        "track",
        _("Track progress"),
        "appeals:h5_track",
        _("Follow your appeal with its tracking number and rate the answer."),
        order=20,
    ),
    H5Tile(
        "stations",
        _("Nearby stations"),
        "stations:h5_nearby",
        _("Find the nearest rest station to drink water, charge your phone, eat or rest."),
        order=30,
    ),
)
