"""Forms of the category and time-limit pages. They collect and check input; writes go through
appeals.catalogue."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import LimitUnit
from shegong.appeals.models import Category
from shegong.divisions.choices import UnitType

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")

# Upper bounds per unit of time: far above any sensible limit, low enough that the working-time
# arithmetic in core.calendar never walks years of calendar for one deadline.
MAX_AMOUNT: dict[str, int] = {
    LimitUnit.WORKING_HOURS: 400,
    LimitUnit.WORKING_DAYS: 60,
    LimitUnit.CALENDAR_MINUTES: 30 * 24 * 60,
    LimitUnit.CALENDAR_HOURS: 30 * 24,
}


def style_widgets(form: forms.Form) -> None:
    """Bootstrap classes on every widget (templates render fields with {{ field }})."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(field.widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs.setdefault("class", css)


class CatalogueForm(forms.Form):
    """Styled widgets, and a service's ValidationError shown on the matching fields (the rest at the top)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Categories as a two-level list: second-level ones indented under their parent."""

    default_error_messages = {
        "invalid_choice": _("Choose a category from the list."),
    }

    def label_from_instance(self, obj: Category) -> str:
        label = f"{obj.name}（{obj.code}）"
        if obj.parent_id is not None:
            label = f"　{label}"
        if not obj.is_active:
            label = gettext("{label} (retired)").format(label=label)
        return label


def category_choices_queryset(*, active_only: bool) -> Any:
    """Parents before their children: order by the parent's order (or the category's own for a parent)."""
    qs = Category.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.annotate(
        root_order=Coalesce(F("parent__order"), F("order")),
        root_code=Coalesce(F("parent__code"), F("code")),
    ).order_by("root_order", "root_code", F("parent").asc(nulls_first=True), "order", "code")


class CategoryCreateForm(CatalogueForm):
    parent = forms.ModelChoiceField(
        label=_("First-level category"),
        queryset=Category.objects.filter(parent=None, is_active=True).order_by("order", "code"),
        empty_label=None,
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "Capital letters, digits and underscores, e.g. WAGE_ARREARS; it cannot be changed later."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    scope = forms.CharField(
        label=_("What it covers"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    default_unit_type = forms.ChoiceField(
        label=_("Default responsible unit type"),
        required=False,
        choices=[("", _("Same as the first-level category")), *UnitType.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].label_from_instance = lambda c: f"{c.name}（{c.code}）"  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip().upper()
        if not CODE_RE.match(code):
            raise ValidationError(
                _("Use 2 to 40 capital letters, digits or underscores, starting with a letter.")
            )
        if Category.objects.filter(code=code).exists():
            raise ValidationError(_("A category with this code already exists."))
        return code

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter the category's name."))
        return name


class CategoryEditForm(CatalogueForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    scope = forms.CharField(
        label=_("What it covers"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    default_unit_type = forms.ChoiceField(
        label=_("Default responsible unit type"),
        required=False,
        choices=[("", _("Not set")), *UnitType.choices],
        help_text=_("Dispatchers see it as a hint; the dispatch catalogue decides the actual unit."),
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter the category's name."))
        return name


class TimeLimitForm(CatalogueForm):
    amount = forms.IntegerField(
        label=_("Amount"),
        min_value=1,
        error_messages={
            "min_value": _("A time limit must be longer than zero."),
            "invalid": _("Enter a whole number."),
        },
    )
    unit = forms.ChoiceField(label=_("Unit of time"), choices=LimitUnit.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({"inputmode": "numeric", "min": "1"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, unit = data.get("amount"), data.get("unit")
        if amount is not None and unit in MAX_AMOUNT and amount > MAX_AMOUNT[unit]:
            self.add_error(
                "amount",
                _("At most {limit} in this unit of time.").format(limit=MAX_AMOUNT[unit]),
            )
        return data
