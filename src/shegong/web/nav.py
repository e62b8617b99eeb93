"""The desk sidebar: modules register their entries once (AppConfig.ready); each entry shows only to users
holding its permission somewhere. Later modules add entries here without touching the templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    perm: str | None  # None: every logged-in staff member
    section: str | Promise
    order: int = 100


_ITEMS: list[NavItem] = []


def register(*items: NavItem) -> None:
    for item in items:
        if item.url_name not in {i.url_name for i in _ITEMS}:
            _ITEMS.append(item)


def items_for(user: Any) -> list[dict[str, Any]]:
    """Sidebar entries for `user`, in order, with resolved URLs."""
    out = []
    for item in sorted(_ITEMS, key=lambda i: (i.order, str(i.label))):
        if item.perm is not None and not user.has_scope_perm(item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "section": item.section, "url_name": item.url_name})
    return out
