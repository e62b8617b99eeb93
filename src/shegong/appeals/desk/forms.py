"""One small form per desk action. Forms only collect and check input; actions.py calls the services.

Every form carries the appeal's `version` as it was when the page was drawn: if someone acted on the
appeal in the meantime, the service refuses with a conflict and the page asks to reload.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import (
    OPEN_STATES,
    AppealsPerm,
    ExtensionStatus,
    ReturnReason,
    Satisfaction,
    State,
    Urgency,
)
from shegong.appeals.desk import suggest
from shegong.appeals.desk.filters import category_choices
from shegong.appeals.models import TEXT_MAX, Appeal, Category, ExtensionRequest
from shegong.appeals.selectors import appeals_visible_to
from shegong.appeals.tracking import normalise_tracking_no
from shegong.divisions.models import Unit
from shegong.divisions.selectors import division_ancestors

# How many open appeals the merge picker suggests.
MERGE_CANDIDATES = 20

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def style_widgets(form: forms.Form) -> None:
    """Bootstrap classes on every widget (templates render fields with {{ field }})."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")


def attach_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the matching fields (others at the top of the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ActionForm(forms.Form):
    """What every action form shares: the appeal and the acting user, and the version it was drawn at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, appeal: Appeal, user: Any, slug: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{slug}_%s")  # many forms on one page: unique element ids
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", appeal.version)
        super().__init__(*args, **kwargs)
        self.appeal, self.user, self.slug = appeal, user, slug
        self.setup()
        style_widgets(self)

    def setup(self) -> None:
        """Per-form choices that depend on the appeal or the user."""


class AcceptForm(ActionForm):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)

    def setup(self) -> None:
        field = self.fields["category"]
        choices = category_choices(active_only=True, keep_id=self.appeal.category_id)
        field.choices = [("", _("Not classified")), *choices]  # type: ignore[attr-defined]
        self.initial.setdefault("category", self.appeal.category_id)
        self.initial.setdefault("urgency", self.appeal.urgency)

    def apply_suggestion(self, category: Category | None, urgency: str | None) -> None:
        """Preselect the classifier's answer where intake has nothing yet (the appeal's own values win)."""
        if category is not None and self.appeal.category_id is None:
            self.initial["category"] = category.pk
        if urgency == Urgency.URGENT:
            self.initial["urgency"] = urgency

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data.get("category")
        return Category.objects.filter(pk=pk).first() if pk else None


class RejectForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason told to the worker"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class DispatchForm(ActionForm):
    unit = forms.TypedChoiceField(label=_("Responsible unit"), coerce=int)
    note = forms.CharField(
        label=_("Note for the unit"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def setup(self) -> None:
        self.routed, why = suggest.unit_for(self.appeal)
        units = self.unit_choices()
        self.fields["unit"].choices = [
            ("", _("Choose a unit")),
            *[(str(u.pk), self.unit_label(u)) for u in units],
        ]  # type: ignore[attr-defined]
        if self.routed is not None and self.routed.pk != self.appeal.unit_id:
            self.initial.setdefault("unit", self.routed.pk)
        if self.routed is None:
            self.fields["unit"].help_text = _(
                "No dispatch rule covers this place and category; choose a unit."
            )
        elif why:
            self.fields["unit"].help_text = _("Suggested: {unit}. {why}").format(
                unit=self.routed.name, why=why
            )
        else:
            self.fields["unit"].help_text = _("Suggested by the dispatch catalogue: {unit}.").format(
                unit=self.routed.name
            )

    def unit_choices(self) -> list[Unit]:
        """Active units in the dispatcher's scope that serve the appeal's place (units of the divisions
        above it, and of its county), and the unit the catalogue suggests wherever it sits."""
        division = self.appeal.division
        path = [d.code for d in division_ancestors(division)] + [division.code]
        in_scope = Unit.objects.visible_to(self.user, AppealsPerm.DISPATCH).filter(is_active=True)
        local = Q(division_id__in=path) | Q(pk__in=in_scope.in_subtree(division.code[:6]).values("pk"))
        qs = in_scope.filter(local).select_related("division")
        units = list(qs.order_by("-division_id", "name"))
        if self.routed is not None and self.routed.pk not in {u.pk for u in units}:
            units.insert(0, self.routed)
        return (
            [u for u in units if u.pk != self.appeal.unit_id]
            if self.appeal.state == State.DISPATCHED
            else units
        )

    @staticmethod
    def unit_label(unit: Unit) -> str:
        return f"{unit.name}（{unit.division.name}）"

    def clean_unit(self) -> Unit:
        unit = Unit.all_objects.filter(pk=self.cleaned_data["unit"]).first()
        if unit is None:  # the choice was valid when the page was drawn
            raise ValidationError(_("Choose a unit from the list."))
        return unit


class ReturnForm(ActionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnReason.choices)
    note = forms.CharField(
        label=_("Explanation"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is “Other”. The worker sees which unit returned it and why."),
    )


class SignForForm(ActionForm):
    pass


class ContactForm(ActionForm):
    note = forms.CharField(
        label=_("What was discussed"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReplyForm(ActionForm):
    text = forms.CharField(
        label=_("Reply to the worker"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    resolved = forms.ChoiceField(
        label=_("Is the problem solved, in the unit's view?"),
        choices=[("", _("Not stated")), *YES_NO],
        required=False,
    )

    def clean_resolved(self) -> bool | None:
        value = self.cleaned_data.get("resolved")
        return None if not value else value == "yes"


class ExtensionRequestForm(ActionForm):
    days = forms.IntegerField(
        label=_("Extra working days"), min_value=1, max_value=ExtensionRequest.MAX_DAYS, initial=5
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(ActionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def setup(self) -> None:
        self.pending = self.appeal.extension_requests.filter(status=ExtensionStatus.PENDING).first()


class SuperviseForm(ActionForm):
    note = forms.CharField(
        label=_("What the unit must do"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: one working day from now."),
    )


class MergeForm(ActionForm):
    into = forms.CharField(
        label=_("Tracking number of the original appeal"),
        max_length=20,
        help_text=_("An open appeal in your area; this one is closed as its duplicate."),
    )

    def setup(self) -> None:
        self.fields["into"].widget.attrs.update({"list": "merge-candidates", "autocomplete": "off"})

    def candidates(self) -> list[Appeal]:
        """Open appeals in the user's scope to pick from, the most alike first (same category and place)."""
        qs = (
            appeals_visible_to(user=self.user, states=sorted(OPEN_STATES))
            .exclude(pk=self.appeal.pk)
            .in_subtree(self.appeal.division_id[:6])
        )
        if self.appeal.category_id:
            qs = qs.filter(category_id=self.appeal.category_id)
        return list(qs.order_by("-submitted_at")[:MERGE_CANDIDATES])

    def clean_into(self) -> Appeal:
        number = normalise_tracking_no(self.cleaned_data["into"])
        target = (
            appeals_visible_to(user=self.user, states=sorted(OPEN_STATES))
            .filter(tracking_no=number)
            .exclude(pk=self.appeal.pk)
            .first()
        )
        if target is None:
            raise ValidationError(_("No other open appeal with this number in your area."))
        return target


class RateForm(ActionForm):
    resolved = forms.ChoiceField(label=_("Is the problem solved?"), choices=YES_NO, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    comment = forms.CharField(
        label=_("The worker's comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_resolved(self) -> bool:
        return self.cleaned_data["resolved"] == "yes"


class WithdrawForm(ActionForm):
    reason = forms.CharField(
        label=_("Why the worker withdraws it"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
