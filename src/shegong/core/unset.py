"""A typed "argument not given" marker for update services, where None is a real value (clear the field)."""

from __future__ import annotations

import enum


class Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = Unset.UNSET

__all__ = ["UNSET", "Unset"]
