"""The queue page's GET form: search, filters and sort order, turned into `filtering.AppealFilter` (the
same filter the API and the exports use), plus the queues each role works from."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, DateTimeField, F, Q, When
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import AppealsPerm, Channel, State, Urgency
from shegong.appeals.filtering import AppealFilter, Queue
from shegong.appeals.models import Appeal, Category
from shegong.core.scoping import ScopedQuerySet
from shegong.divisions.models import Unit
from shegong.divisions.selectors import pad_code

# Above this many units a <select> is unusable (a nationwide leader): only the division filter is offered.
MAX_UNIT_OPTIONS = 500

INTAKE_QUEUES = (Queue.TO_ACCEPT, Queue.TO_DISPATCH)
HANDLER_QUEUES = (Queue.TO_SIGN, Queue.IN_PROGRESS)
COMMON_QUEUES = (Queue.REPLIED, Queue.OVERDUE, Queue.SUPERVISED, Queue.OPEN, Queue.CLOSED)


def queues_for(user: Any) -> list[Queue]:
    """The tabs a user sees: their role's work lists first, then the lists everyone shares."""
    tabs: list[Queue] = []
    if user.has_scope_perm(AppealsPerm.INTAKE) or user.has_scope_perm(AppealsPerm.DISPATCH):
        tabs += INTAKE_QUEUES
    if user.has_scope_perm(AppealsPerm.HANDLE):
        tabs += HANDLER_QUEUES
    return tabs + list(COMMON_QUEUES)


def default_queue(user: Any) -> Queue:
    """Intake starts at 待受理, a unit's handler at 待签收, a leader at the overdue list."""
    if user.has_scope_perm(AppealsPerm.INTAKE):
        return Queue.TO_ACCEPT
    if user.has_scope_perm(AppealsPerm.HANDLE):
        return Queue.TO_SIGN
    if user.has_scope_perm(AppealsPerm.SUPERVISE):
        return Queue.OVERDUE
    return Queue.OPEN


SORTS = {
    "submitted": _("Oldest first"),
    "-submitted": _("Newest first"),
    "due": _("Deadline, earliest first"),
    "-due": _("Deadline, latest first"),
}
# Work lists are worked oldest or most urgent first; the others read like an inbox.
_DEFAULT_SORT = {
    Queue.TO_ACCEPT: "submitted",
    Queue.TO_DISPATCH: "submitted",
    Queue.TO_SIGN: "due",
    Queue.IN_PROGRESS: "due",
    Queue.REPLIED: "due",
    Queue.OVERDUE: "due",
    Queue.SUPERVISED: "due",
}


def default_sort(queue: str) -> str:
    return _DEFAULT_SORT.get(Queue(queue), "-submitted") if queue in Queue.values else "-submitted"


def running_due() -> Case:
    """The deadline of the clock that is running in the appeal's state (empty when none is)."""
    return Case(
        When(state=State.DISPATCHED, then=F("sign_due_at")),
        When(state=State.IN_PROGRESS, then=F("handle_due_at")),
        When(state=State.REPLIED, then=F("revisit_due_at")),
        default=None,
        output_field=DateTimeField(),
    )


def sort_appeals(qs: ScopedQuerySet[Appeal], sort: str) -> ScopedQuerySet[Appeal]:
    qs = qs.annotate(due=running_due())
    if sort == "due":
        return qs.order_by(F("due").asc(nulls_last=True), "submitted_at", "pk")
    if sort == "-due":
        return qs.order_by(F("due").desc(nulls_last=True), "-submitted_at", "-pk")
    if sort == "submitted":
        return qs.order_by("submitted_at", "pk")
    return qs.order_by("-submitted_at", "-pk")


def category_choices(*, active_only: bool = False, keep_id: int | None = None) -> list[tuple[str, str]]:
    """First-level categories each followed by its second-level ones (indented). The filter lists retired
    ones too (old appeals keep them and must stay findable); `active_only` is for classifying, with
    `keep_id` (the appeal's current category) kept selectable."""
    rows = Category.objects.order_by("order", "code")
    if active_only:
        rows = rows.filter(Q(is_active=True) | Q(pk=keep_id))
    listed = list(rows)
    top_ids = {row.pk for row in listed if row.parent_id is None}
    children: dict[int, list[Category]] = {}
    for row in listed:
        if row.parent_id is not None:
            # a child whose parent is retired still shows, at the end
            children.setdefault(row.parent_id if row.parent_id in top_ids else 0, []).append(row)
    choices: list[tuple[str, str]] = []
    for row in listed:
        if row.parent_id is None:
            choices.append((str(row.pk), row.name))
            choices += [(str(child.pk), f"　{child.name}") for child in children.get(row.pk, [])]
    choices += [(str(child.pk), child.name) for child in children.get(0, [])]
    return choices


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control form-control-sm")


class DeskFilterForm(forms.Form):
    """GET parameters of the queue page. Invalid values are reported on the form and left out of the
    filter; they never fail the page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Words of the text, a tracking number or the worker's mobile number."),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *State.choices]
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    division = forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("A code or prefix: 210105 keeps that county and everything below it."),
    )
    unit = forms.TypedChoiceField(label=_("Responsible unit"), required=False, coerce=int, empty_value=None)
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any urgency")), *Urgency.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    date_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[("", _("Default order")), *SORTS.items()]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        category_field.choices = [("", _("Any category")), *category_choices()]  # type: ignore[attr-defined]
        units = Unit.objects.visible_to(user, AppealsPerm.VIEW).order_by("division_id", "name")
        unit_rows = list(units.values_list("pk", "name")[: MAX_UNIT_OPTIONS + 1])
        if len(unit_rows) > MAX_UNIT_OPTIONS:
            del self.fields["unit"]
        else:
            self.fields["unit"].choices = [  # type: ignore[attr-defined]
                ("", _("Any unit")),
                *[(str(pk), name) for pk, name in unit_rows],
            ]
        _style(self)

    def clean_division(self) -> str:
        value: str = (self.cleaned_data.get("division") or "").strip()
        if value and not pad_code(value):
            raise ValidationError(_("Type a division code or its prefix, e.g. 210105."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def valid_data(self) -> dict[str, Any]:
        """The fields that passed validation (a bad date does not drop the search box)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    def to_filter(self, *, queue: str, division_prefix: str) -> AppealFilter:
        data = self.valid_data()
        state = data.get("state") or ""
        return AppealFilter(
            queue=queue,
            states=(state,) if state else (),
            category_id=data.get("category"),
            division_prefix=division_prefix,
            unit_id=data.get("unit"),
            urgency=data.get("urgency") or "",
            overdue=bool(data.get("overdue")),
            channel=data.get("channel") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=data.get("q") or "",
        )

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "sort")
