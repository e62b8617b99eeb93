"""What the simulation works on: who acts, what is filed, and the rows one appeal collects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shegong.appeals.choices import State
from shegong.appeals.demo import texts
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    ExtensionRequest,
    ReturnRecord,
    SlaMark,
    Supervision,
)
from shegong.divisions.models import Division, Unit

if TYPE_CHECKING:  # places imports this module
    from shegong.appeals.demo.places import County


@dataclass
class Actors:
    """The demo accounts that act in the history; where none exists, a label names who acted."""

    admin: Any = None
    intake: Any = None
    leader: Any = None
    handler: Any = None
    intake_prefix: str | None = None  # where demo_intake works
    handler_unit: Unit | None = None


@dataclass
class Spec:
    """What is filed: decided by the planner before the appeal's fate is drawn."""

    county: County
    division: Division
    category: Category
    pool: texts.Pool
    situation: texts.Situation
    worker_type: str
    letter: str
    platform: str
    channel: str
    urgency: str
    appeal_type: str
    submitted_at: dt.datetime
    phone: str
    anonymous: bool
    slots: dict[str, str]
    text: str = ""
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    source_ref: str = ""
    merge_into: Record | None = None  # a duplicate of this earlier appeal: intake merges it
    stop: str | None = None  # journey appeals wait in this state
    unit: Unit | None = None  # journey appeals go to this unit
    plain: bool = False  # no side exits (return, withdrawal, extension…)


@dataclass
class Record:
    """An appeal and its rows, not yet saved (the children get their appeal once it has a key)."""

    spec: Spec
    appeal: Appeal
    state: str = State.SUBMITTED
    events: list[AppealEvent] = field(default_factory=list)
    returns: list[ReturnRecord] = field(default_factory=list)
    extension: ExtensionRequest | None = None
    supervisions: list[Supervision] = field(default_factory=list)
    marks: list[SlaMark] = field(default_factory=list)
    merged_into: Record | None = None

    def children(self) -> list[Any]:
        rows: list[Any] = [*self.events, *self.returns, *self.supervisions, *self.marks]
        return rows + ([self.extension] if self.extension else [])
