"""Schemas of the appeals API (/api/v1/appeals): what comes in, and how an appeal is shown to each caller.

Lengths of free text are checked by the model (`full_clean` in the services), so a too-long text is the
envelope's 422 with the field's message, the same answer the H5 form gives; types and enumerations are
checked here (a wrong type or an unknown enumeration value is a 400).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from shegong.appeals.choices import (
    AppealType,
    Channel,
    ExtensionStatus,
    ReturnReason,
    Satisfaction,
    State,
    Urgency,
    WorkerType,
)
from shegong.appeals.filtering import Queue
from shegong.appeals.models import Appeal, AppealEvent, Attachment, Category, ExtensionRequest
from shegong.appeals.services import common as c
from shegong.core import pii

# Timeline action names (services.common) → what the timeline shows.
ACTION_LABELS = {
    c.SUBMIT: _("Filed"),
    c.ACCEPT: _("Accepted"),
    c.REJECT: _("Not accepted"),
    c.DISPATCH: _("Dispatched"),
    c.RETURN: _("Returned by the unit"),
    c.SIGN_FOR: _("Signed for"),
    c.CONTACT: _("Contacted the worker"),
    c.REPLY: _("Replied"),
    c.REQUEST_EXTENSION: _("Extension requested"),
    c.DECIDE_EXTENSION: _("Extension decided"),
    c.SUPERVISE: _("Put under supervision"),
    c.RATE: _("Rated"),
    c.REDO: _("Sent back for redo"),
    c.CLOSE_UNRATED: _("Closed without a rating"),
    c.MERGE: _("Merged"),
    c.WITHDRAW: _("Withdrawn"),
}

_RUNNING_CLOCK = {
    State.DISPATCHED: "sign_due_at",
    State.IN_PROGRESS: "handle_due_at",
    State.REPLIED: "revisit_due_at",
}


def running_due(appeal: Appeal) -> dt.datetime | None:
    """When the clock that is running now runs out (sign-for, handling or revisit), if one runs."""
    field = _RUNNING_CLOCK.get(appeal.state)  # type: ignore[call-overload]
    return getattr(appeal, field) if field else None


# --- in ----------------------------------------------------------------------------------------------------
class AppealIn(Schema):
    text: str = Field(..., description="What happened, in the worker's words (1 to 4,000 characters)")
    division: str = Field(
        ...,
        description="Where: a 12-digit division code (or its 2/4/6/9-digit prefix) inside your grant",
        max_length=12,
    )
    appeal_type: AppealType
    worker_type: WorkerType
    phone: str | None = Field(
        None,
        description="The worker's 11-digit mainland mobile number; required with a token, ignored for a "
        "verified-phone session (the session's phone is used)",
    )
    category: str | None = Field(None, description="Category code from GET /categories")
    platform: str = Field("", description="The worker's platform (美团, 顺丰…), up to 50 characters")
    address: str = Field("", description="Address, up to 200 characters")
    lat: Decimal | None = Field(None, ge=-90, le=90, description="GCJ-02 latitude")
    lng: Decimal | None = Field(None, ge=-180, le=180, description="GCJ-02 longitude")
    anonymous: bool = Field(False, description="Hide the worker's phone from the handling unit")
    source_ref: str = Field("", description="Your own reference for this appeal, up to 64 characters")


class VersionIn(Schema):
    version: int | None = Field(
        None, description="The appeal's `version` you last read; a newer one makes this a 409 conflict"
    )


class AcceptIn(VersionIn):
    category: str | None = Field(None, description="Correct the category (code)")
    urgency: Urgency | None = None


class RejectIn(VersionIn):
    reason: str = Field(..., description="Why it is not accepted; the worker is told")


class DispatchIn(VersionIn):
    unit: int | None = Field(None, description="Unit id; empty: the dispatch catalogue's unit")
    note: str = ""


class ReturnIn(VersionIn):
    reason: ReturnReason
    note: str = Field("", description="Required when the reason is `other`")


class ContactIn(VersionIn):
    note: str = ""


class ReplyIn(VersionIn):
    text: str = Field(..., description="The reply to the worker (1 to 4,000 characters)")
    resolved: bool | None = Field(None, description="The unit's own view; the worker's rating decides")


class ExtensionIn(VersionIn):
    days: int = Field(..., description="Working days, 1 to 10")
    reason: str


class ExtensionDecisionIn(VersionIn):
    approve: bool
    note: str = ""


class SuperviseIn(VersionIn):
    note: str = Field(..., description="What the unit must do")
    deadline: dt.datetime | None = Field(None, description="Default: one working day from now")


class MergeIn(VersionIn):
    into: str = Field(..., description="Tracking number of the open appeal this one duplicates")


class WithdrawIn(VersionIn):
    reason: str = ""


class RateIn(VersionIn):
    resolved: bool
    satisfaction: Satisfaction
    comment: str = Field("", description="Up to 500 characters")


MAX_ID = 2**63 - 1  # the largest value a database integer column compares with


class AppealListQuery(Schema):
    queue: Queue | None = None
    state: list[State] = Field(default_factory=list, description="Repeat for several states")
    # ids are bounded to a 64-bit integer: a larger number reached the database and failed there (500)
    category: int | None = Field(
        None, ge=1, le=MAX_ID, description="Category id (a first-level id includes its children)"
    )
    division: str = Field("", description="Division prefix (2/4/6/9/12 digits): that subtree only")
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    urgency: Urgency | None = None
    overdue: bool = False
    channel: Channel | None = None
    date_from: dt.date | None = Field(None, description="Filed on or after this local date")
    date_to: dt.date | None = Field(None, description="Filed on or before this local date")
    q: str = Field("", max_length=100, description="Words of the text, a tracking number or a phone")
    page: int = 1
    page_size: int = 50


class PageQuery(Schema):
    page: int = 1
    page_size: int = 50


# --- out ---------------------------------------------------------------------------------------------------
class Links(Schema):
    self: str
    timeline: str


def links(base: str, tracking_no: str) -> dict[str, str]:
    return {"self": f"{base}/{tracking_no}", "timeline": f"{base}/{tracking_no}/timeline"}


class AppealCreatedOut(Schema):
    tracking_no: str
    state: State
    state_label: str
    submitted_at: dt.datetime
    source_ref: str
    links: Links

    @staticmethod
    def render(appeal: Appeal, *, base: str) -> dict[str, Any]:
        """JSON-ready: the idempotency key row stores this body to replay it."""
        return {
            "tracking_no": appeal.tracking_no,
            "state": appeal.state,
            "state_label": str(State(appeal.state).label),
            "submitted_at": appeal.submitted_at.isoformat(),
            "source_ref": appeal.source_ref,
            "links": links(base, appeal.tracking_no),
        }


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent: str | None = Field(None, description="Code of the first-level category")
    scope: str = ""

    @staticmethod
    def render(category: Category, *, parent_code: str | None = None) -> dict[str, Any]:
        return {
            "id": category.pk,
            "code": category.code,
            "name": category.name,
            "parent": parent_code,
            "scope": category.scope,
        }


class Ref(Schema):
    id: int
    name: str


class AppealListItemOut(Schema):
    tracking_no: str
    state: State
    state_label: str
    summary: str = Field(description="The text's first 80 characters")
    category: str | None
    urgency: Urgency
    appeal_type: AppealType
    channel: Channel
    division: str
    division_name: str
    unit: Ref | None
    submitted_at: dt.datetime
    due_at: dt.datetime | None = Field(description="When the running clock runs out")
    supervised: bool
    source_ref: str
    version: int

    @staticmethod
    def render(appeal: Appeal) -> dict[str, Any]:
        return {
            "tracking_no": appeal.tracking_no,
            "state": appeal.state,
            "state_label": str(State(appeal.state).label),
            "summary": appeal.text[:80],
            "category": appeal.category.name if appeal.category_id else None,  # type: ignore[union-attr]
            "urgency": appeal.urgency,
            "appeal_type": appeal.appeal_type,
            "channel": appeal.channel,
            "division": appeal.division_id,
            "division_name": appeal.division.name,
            "unit": {"id": appeal.unit_id, "name": appeal.unit.name} if appeal.unit_id else None,  # type: ignore[union-attr]
            "submitted_at": appeal.submitted_at,
            "due_at": running_due(appeal),
            "supervised": appeal.supervised,
            "source_ref": appeal.source_ref,
            "version": appeal.version,
        }


class ExtensionOut(Schema):
    days: int
    reason: str
    status: ExtensionStatus
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str

    @staticmethod
    def render(request: ExtensionRequest) -> dict[str, Any]:
        return {
            "days": request.days,
            "reason": request.reason,
            "status": request.status,
            "requested_at": request.requested_at,
            "decided_at": request.decided_at,
            "decision_note": request.decision_note,
        }


class AppealOut(Schema):
    tracking_no: str
    state: State
    state_label: str
    is_open: bool
    text: str
    category: CategoryOut | None
    urgency: Urgency
    appeal_type: AppealType
    worker_type: WorkerType
    platform: str
    channel: Channel
    division: str
    division_name: str
    address: str
    lat: Decimal | None
    lng: Decimal | None
    anonymous: bool
    phone: str = Field(description="Masked (138****1234); empty for the unit when the worker is anonymous")
    unit: Ref | None
    submitted_at: dt.datetime
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    signed_at: dt.datetime | None
    first_contact_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    sign_due_at: dt.datetime | None
    contact_due_at: dt.datetime | None
    handle_due_at: dt.datetime | None
    revisit_due_at: dt.datetime | None
    reply_text: str
    resolved: bool | None = Field(description="The worker's answer; closed and resolved are separate facts")
    satisfaction: Satisfaction | None
    rating_comment: str
    close_reason: str
    merged_into: str | None = Field(description="Tracking number of the appeal this one was merged into")
    supervised: bool
    redo_count: int
    extension: ExtensionOut | None = Field(None, description="Staff only: the extension request, if any")
    source_ref: str
    version: int
    links: Links

    @staticmethod
    def render(
        appeal: Appeal,
        *,
        base: str,
        show_phone: bool,
        extension: ExtensionRequest | None = None,
    ) -> dict[str, Any]:
        category = appeal.category
        return {
            "tracking_no": appeal.tracking_no,
            "state": appeal.state,
            "state_label": str(State(appeal.state).label),
            "is_open": appeal.is_open,
            "text": appeal.text,
            "category": CategoryOut.render(category) if category is not None else None,
            "urgency": appeal.urgency,
            "appeal_type": appeal.appeal_type,
            "worker_type": appeal.worker_type,
            "platform": appeal.platform,
            "channel": appeal.channel,
            "division": appeal.division_id,
            "division_name": appeal.division.name,
            "address": appeal.address,
            "lat": appeal.lat,
            "lng": appeal.lng,
            "anonymous": appeal.anonymous,
            "phone": pii.mask_phone(appeal.phone) if show_phone and appeal.phone else "",
            "unit": {"id": appeal.unit_id, "name": appeal.unit.name} if appeal.unit is not None else None,
            "submitted_at": appeal.submitted_at,
            "accepted_at": appeal.accepted_at,
            "dispatched_at": appeal.dispatched_at,
            "signed_at": appeal.signed_at,
            "first_contact_at": appeal.first_contact_at,
            "replied_at": appeal.replied_at,
            "closed_at": appeal.closed_at,
            "sign_due_at": appeal.sign_due_at,
            "contact_due_at": appeal.contact_due_at,
            "handle_due_at": appeal.handle_due_at,
            "revisit_due_at": appeal.revisit_due_at,
            "reply_text": appeal.reply_text,
            "resolved": appeal.resolved,
            "satisfaction": appeal.satisfaction or None,
            "rating_comment": appeal.rating_comment,
            "close_reason": appeal.close_reason,
            "merged_into": appeal.merged_into.tracking_no if appeal.merged_into is not None else None,
            "supervised": appeal.supervised,
            "redo_count": appeal.redo_count,
            "extension": ExtensionOut.render(extension) if extension is not None else None,
            "source_ref": appeal.source_ref,
            "version": appeal.version,
            "links": links(base, appeal.tracking_no),
        }


class EventOut(Schema):
    at: dt.datetime
    action: str
    action_label: str
    from_state: State | None
    to_state: State | None
    note: str
    public: bool
    actor: str | None = Field(None, description="Staff only: who acted (account name, worker or system)")

    @staticmethod
    def render(event: AppealEvent, *, staff: bool) -> dict[str, Any]:
        label = ACTION_LABELS.get(event.action)
        return {
            "at": event.at,
            "action": event.action,
            "action_label": str(label) if label is not None else event.action,
            "from_state": event.from_state or None,
            "to_state": event.to_state or None,
            "note": event.note,
            "public": event.public,
            "actor": event.actor_label if staff else None,
        }


class AttachmentOut(Schema):
    id: int
    content_type: str
    size: int = Field(description="Bytes, after re-encoding (metadata stripped)")
    width: int
    height: int
    location_kept: bool
    uploaded_at: dt.datetime

    @staticmethod
    def render(attachment: Attachment) -> dict[str, Any]:
        return {
            "id": attachment.pk,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "width": attachment.width,
            "height": attachment.height,
            "location_kept": attachment.location_kept,
            "uploaded_at": attachment.uploaded_at,
        }
