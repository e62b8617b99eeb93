"""The desk sidebar: modules register their entries once (AppConfig.ready); each entry shows only to users
holding its permission somewhere. Later modules add entries here without touching the templates.

    from shegong.web.nav import NavItem, register

    register(NavItem(_("Appeals"), "appeals:list", AppealsPerm.VIEW, section=_("Appeals"), order=20))
"""

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


_ITEMS: dict[str, NavItem] = {}


def register(*items: NavItem) -> None:
    """Add sidebar entries; the same url_name again is ignored (ready() may run more than once)."""
    for item in items:
        _ITEMS.setdefault(item.url_name, item)


def items_for(user: Any) -> list[dict[str, Any]]:
    """Sidebar entries for `user`, in order, with resolved URLs.

    An entry whose URL does not resolve (its module is not installed) is left out rather than breaking
    every page.
    """
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, str(i.label))):
        if item.perm is not None and not user.has_scope_perm(item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": item.label, "url": url, "section": item.section, "url_name": item.url_name})
    return out


def sections_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    """`items_for(user)` grouped by section (in order of first appearance), the current entry marked.

    The current entry is the one whose URL is the longest prefix of `current_path`, so a detail page under
    /desk/units/ highlights "Units" and /desk/ alone highlights the workbench.
    """
    items = items_for(user)
    matching = [i for i in items if current_path.startswith(i["url"])]
    current = max(matching, key=lambda i: len(i["url"]))["url_name"] if matching else None
    sections: dict[str, dict[str, Any]] = {}
    for item in items:
        key = str(item["section"])
        section = sections.setdefault(key, {"title": item["section"], "items": []})
        section["items"].append({**item, "active": item["url_name"] == current})
    return list(sections.values())
