"""Vocabulary of the appeals module: states, types, clocks and permissions (domain: shared/domain/appeals.md).

English msgids; the Chinese labels (待受理, 外卖骑手…) come from the zh_Hans catalogue.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Awaiting dispatch")
    DISPATCHED = "dispatched", _("Awaiting sign-for")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Not accepted")
    MERGED = "merged", _("Merged")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# FixMyStreet-style grouping: lists and Open311 `status` only distinguish open from closed.
OPEN_STATES = frozenset({State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.REPLIED})
CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN})


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


class AppealType(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report of wrongdoing")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class WorkerType(models.TextChoices):
    FOOD_DELIVERY = "food_delivery", _("Food delivery rider")
    COURIER = "courier", _("Courier")
    RIDE_HAILING = "ride_hailing", _("Ride-hailing driver")
    TRUCK = "truck", _("Truck driver")
    DESIGNATED_DRIVER = "designated_driver", _("Designated driver")
    STREAMER = "streamer", _("Online streamer")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    H5 = "h5", _("Mobile web form")
    HOTLINE = "hotline", _("Hotline")
    API = "api", _("Platform API")
    OPEN311 = "open311", _("Open311")


class ReturnReason(models.TextChoices):
    WRONG_PLACE = "wrong_place", _("Not in our area")
    UNCLEAR_OWNERSHIP = "unclear_ownership", _("Unclear responsibility")
    OVERLAPPING_DUTIES = "overlapping_duties", _("Overlapping duties")
    OTHER = "other", _("Other")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Clock(models.TextChoices):
    SIGN_FOR = "sign_for", _("Sign for")
    FIRST_CONTACT = "first_contact", _("First contact with the worker")
    HANDLE = "handle", _("Handle until reply")
    REVISIT = "revisit", _("Revisit")


class LimitUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("Working hours")
    WORKING_DAYS = "working_days", _("Working days")
    CALENDAR_MINUTES = "calendar_minutes", _("Minutes (calendar time)")
    CALENDAR_HOURS = "calendar_hours", _("Hours (calendar time)")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class SlaStage(models.TextChoices):
    """How far a clock's escalation has gone (appeals.md: warn at 80 %, then 提醒 → 催办 → 督办)."""

    WARNING = "warning", _("Warning before the deadline")
    REMINDER = "reminder", _("Reminder to the handler")
    URGE = "urge", _("Urging notice to the unit")
    SUPERVISE = "supervise", _("Supervision by the level above")


class AppealsPerm(models.TextChoices):
    VIEW = "appeals:appeal:view", _("View appeals")
    FILE = "appeals:appeal:file", _("File appeals for workers through the API")
    INTAKE = "appeals:appeal:intake", _("Accept, reject, merge and file appeals")
    DISPATCH = "appeals:appeal:dispatch", _("Dispatch appeals to responsible units")
    HANDLE = "appeals:appeal:handle", _("Sign for, handle and reply to appeals of one's unit")
    SUPERVISE = "appeals:appeal:supervise", _("Supervise appeals and decide extensions")
    REVEAL_PII = "appeals:appeal:reveal_pii", _("Show an appeal's phone number in full")
    EXCLUDE = "appeals:indicators:exclude", _("Exclude unreasonable appeals from the rates")
    MANAGE_CATALOGUE = (
        "appeals:catalogue:manage",
        _("Maintain categories, time limits and the dispatch catalogue"),
    )
