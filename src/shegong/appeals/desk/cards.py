"""Numbers on the desk home cards for the appeals entries (web.cards): the user's default work list and
the open supervisions they follow. Imported by desk/urls.py, which Django loads before any desk page."""

from __future__ import annotations

from typing import Any

from shegong.appeals.desk.filters import default_queue
from shegong.appeals.desk.supervision import open_supervisions
from shegong.appeals.filtering import AppealFilter, apply_filter
from shegong.appeals.selectors import appeals_visible_to
from shegong.web.cards import register_count


def queue_count(user: Any) -> int:
    return apply_filter(appeals_visible_to(user=user), AppealFilter(queue=default_queue(user))).count()


def supervision_count(user: Any) -> int:
    return open_supervisions(user=user).count()


def register() -> None:
    register_count("appeals:desk_list", queue_count)
    register_count("appeals:supervision_list", supervision_count)
