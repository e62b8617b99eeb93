"""Forms of the core pages: the audit-log filter (shared by the page, the export and the API) and the
reason form of "show personal data in full".

The filter is the one place that turns query parameters into an audit queryset, always starting from
`audit_events_visible_to(user)`, so the list, the export and the API cannot disagree about scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.core.audit import action_choices
from shegong.core.models import AuditEvent
from shegong.core.permissions import CorePerm
from shegong.core.scoping import division_q, prefixes_for

REVEAL_REASON_MIN_CHARS = 5
OUT_OF_SCOPE = "out_of_scope"


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """Audit rows in the user's AUDIT_VIEW jurisdiction, newest first.

    Rows with an empty division code (nationwide or system events) sort below every 12-digit code, so the
    prefix ranges never match them: only a nationwide auditor ('' prefix → no filter) sees them.
    """
    prefixes = prefixes_for(user, CorePerm.AUDIT_VIEW)
    return AuditEvent.objects.filter(division_q("division_code", prefixes)).order_by("-at", "-id")


def prefix_in_scope(prefix: str, scope: list[str]) -> bool:
    """True when the subtree `prefix` overlaps the scope (it lies inside a grant, or contains one)."""
    return any(prefix.startswith(p) or p.startswith(prefix) for p in scope)


def reason_is_sufficient(reason: str | None) -> bool:
    return len("".join((reason or "").split())) >= REVEAL_REASON_MIN_CHARS


def reason_error() -> ValidationError:
    return ValidationError(
        _("Give a reason of at least {n} characters for showing personal data in full.").format(
            n=REVEAL_REASON_MIN_CHARS
        ),
        code="reason_required",
    )


def _action_choices() -> list[tuple[str, Any]]:
    registered = [(code, f"{label} ({code})") for code, label in action_choices()]
    return [("", gettext_lazy("Any action")), *registered]


# Dates far outside these bounds are typing mistakes, and at the very ends of the calendar the conversion
# to UTC (or the day after `until`) would overflow: Django's own min/max messages answer them instead.
_DATE_BOUNDS = [MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(9998, 12, 31))]


class AuditFilterForm(forms.Form):
    """The auditor's filter. Every field is optional; an empty form means "everything in my scope"."""

    since = forms.DateField(label=gettext_lazy("From"), required=False, validators=_DATE_BOUNDS)
    until = forms.DateField(label=gettext_lazy("To"), required=False, validators=_DATE_BOUNDS)
    actor = forms.CharField(label=gettext_lazy("Actor username"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False, choices=_action_choices)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        required=False,
        choices=[("", gettext_lazy("Any outcome")), *AuditEvent.Outcome.choices],
    )
    division = forms.CharField(
        label=gettext_lazy("Division code prefix"),
        required=False,
        max_length=12,
        help_text=gettext_lazy("2, 4, 6, 9 or 12 digits, e.g. 210105 for a county."),
    )
    target_type = forms.CharField(label=gettext_lazy("Target type"), required=False, max_length=80)
    target_id = forms.CharField(label=gettext_lazy("Target ID"), required=False, max_length=64)

    # The field names, in order: the page keeps them in links (pagination, export) and the API mirrors them.
    PARAMS = ("since", "until", "actor", "action", "outcome", "division", "target_type", "target_id")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.scope = prefixes_for(user, CorePerm.AUDIT_VIEW)

    def clean_division(self) -> str:
        from shegong.divisions.codes import normalise_prefix

        value: str = self.cleaned_data.get("division") or ""
        prefix = normalise_prefix(value)
        if prefix and not prefix_in_scope(prefix, self.scope):
            raise ValidationError(_("This division is outside your jurisdiction."), code=OUT_OF_SCOPE)
        return prefix

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data

    def is_out_of_scope(self) -> bool:
        """The division asked for lies outside the user's jurisdiction (the export and API answer 404)."""
        return self.has_error("division", OUT_OF_SCOPE)

    def events(self) -> QuerySet[AuditEvent]:
        """The scoped rows matching the (valid) filter, newest first."""
        data = self.cleaned_data
        qs = audit_events_visible_to(self.user)
        if data.get("since"):
            qs = qs.filter(at__gte=_start_of(data["since"]))
        if data.get("until"):
            qs = qs.filter(at__lt=_start_of(data["until"] + dt.timedelta(days=1)))
        if data.get("actor"):
            qs = qs.filter(actor_label__iexact=data["actor"].strip())
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("outcome"):
            qs = qs.filter(outcome=data["outcome"])
        if data.get("division"):
            qs = qs.filter(division_q("division_code", [data["division"]]))
        if data.get("target_type"):
            qs = qs.filter(target_type=data["target_type"].strip().lower())
        if data.get("target_id"):
            qs = qs.filter(target_id=data["target_id"].strip())
        return qs

    def active_filter(self) -> dict[str, str]:
        """The filter as plain strings (for links and for the export's own audit row)."""
        out: dict[str, str] = {}
        for name in self.PARAMS:
            value = self.cleaned_data.get(name)
            if value:
                out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the platform's time zone (filters are in local dates, rows in UTC)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RevealForm(forms.Form):
    """The reason asked for before personal data is shown in full (core/templates/core/_reveal.html)."""

    reveal_field = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        required=False,  # the message below is clearer than "This field is required."
        help_text=gettext_lazy("Why you need the full value; the reason is kept in the audit log."),
    )

    def clean_reason(self) -> str:
        reason: str = (self.cleaned_data.get("reason") or "").strip()
        if not reason_is_sufficient(reason):
            raise reason_error()
        return reason
