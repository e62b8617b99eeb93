"""Numbers on the desk home cards: a module that registers a sidebar entry may also register a counter for it.

    from shegong.web.cards import register_count

    register_count("appeals:list", lambda user: appeals_visible_to(user=user, action=...).open().count())

The counter runs only when the user can see the entry (the sidebar already checked the entry's permission);
it must itself count only what the user's scope covers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Counter = Callable[[Any], int | None]

_COUNTERS: dict[str, Counter] = {}


def register_count(url_name: str, counter: Counter) -> None:
    _COUNTERS[url_name] = counter


def count_for(url_name: str, user: Any) -> int | None:
    counter = _COUNTERS.get(url_name)
    return counter(user) if counter is not None else None
