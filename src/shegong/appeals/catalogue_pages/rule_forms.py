"""Forms of the dispatch-catalogue pages: add a rule, replace a rule's unit, the "where would it go?"
preview and the list's filters. The division picker takes a code or a name inside the user's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.catalogue_pages import selectors
from shegong.appeals.catalogue_pages.access import is_nationwide
from shegong.appeals.catalogue_pages.forms import (
    CatalogueForm,
    CategoryChoiceField,
    category_choices_queryset,
    style_widgets,
)
from shegong.appeals.models import Category
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit
from shegong.divisions.selectors import pad_code

# A <select> of more units than this is unusable; the list then waits for a division to narrow it down.
MAX_UNIT_OPTIONS = 300
DIVISION_OPTIONS_ID = "division-options"


def resolve_division(*, user: Any, text: str) -> Division:
    """The division in the user's catalogue scope that `text` names: a code or prefix (210105, 210105001)
    or a name matching exactly one division. The same message for unknown and out-of-scope codes, so the
    picker does not reveal what lies outside the jurisdiction."""
    text = text.strip()
    if "\x00" in text:  # no name holds a NUL, and PostgreSQL refuses one in a query (a 500)
        raise ValidationError(
            gettext("No division named “{name}” within your jurisdiction.").format(
                name=text.replace("\x00", "")
            )
        )
    in_scope = selectors.divisions_in_scope(user=user)
    if text.isascii() and text.isdigit():
        code = pad_code(text)
        division = in_scope.filter(code=code).first() if code else None
        if division is None:
            raise ValidationError(gettext("There is no division with this code within your jurisdiction."))
        return division
    matches = list(in_scope.filter(name=text)[:6]) or list(in_scope.filter(name__icontains=text)[:6])
    if not matches:
        raise ValidationError(
            gettext("No division named “{name}” within your jurisdiction.").format(name=text)
        )
    if len(matches) > 1:
        listed = "、".join(f"{d.name}（{d.code}）" for d in matches[:5])
        raise ValidationError(
            gettext("Several divisions match “{name}”: {listed}. Type the code instead.").format(
                name=text, listed=listed
            )
        )
    return matches[0]


class DivisionPickerField(forms.CharField):
    """A division typed as a code or a name (a datalist filled by htmx suggests matches as one types)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, max_length=100, **kwargs)
        self.user: Any = None

    def clean(self, value: Any) -> Division | None:
        text = super().clean(value)
        if not text:
            return None
        return resolve_division(user=self.user, text=text)


def unit_label(unit: Unit) -> str:
    return f"{unit.name}（{unit.division.name}）"


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    default_error_messages = {
        "invalid_choice": _("Choose an active unit within your jurisdiction."),
    }

    def label_from_instance(self, obj: Unit) -> str:
        return unit_label(obj)


def unit_options(*, user: Any, division: Division | None, q: str = "") -> tuple[list[tuple[Any, str]], bool]:
    """The unit <select>'s options for a rule in `division` whose name contains `q`, and whether the list
    was cut at MAX_UNIT_OPTIONS (the field accepts any unit in scope; the service checks the division)."""
    units: QuerySet[Unit] = selectors.rule_units(user=user, division=division)
    if q.strip():
        units = units.filter(name__icontains=q.strip())
    found = list(units[: MAX_UNIT_OPTIONS + 1])
    options = [("", "---------")] + [(u.pk, unit_label(u)) for u in found[:MAX_UNIT_OPTIONS]]
    return options, len(found) > MAX_UNIT_OPTIONS


def _division_widget_attrs(search_url: str) -> dict[str, str]:
    # htmx asks for suggestions as the user types (the input's own value is sent as ?division=…) and fills
    # the <datalist>; without JavaScript the field still takes a typed code or name.
    return {
        "list": DIVISION_OPTIONS_ID,
        "autocomplete": "off",
        "hx-get": search_url,
        "hx-trigger": "input changed delay:300ms",
        "hx-target": f"#{DIVISION_OPTIONS_ID}",
        "hx-swap": "innerHTML",
    }


class RuleForm(CatalogueForm):
    """Add a rule: division (empty = nationwide) × category (empty = any) → unit."""

    division = DivisionPickerField(
        label=_("Division"),
        required=False,
        help_text=_(
            "A division code or name within your jurisdiction; the rule covers it and everything below it. "
            "Empty means nationwide (nationwide administrators only)."
        ),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Any category"),
        help_text=_("A first-level category's rule also covers its second-level categories."),
        error_messages={"invalid_choice": _("Choose an active category; retired ones get no new rules.")},
    )
    unit = UnitChoiceField(label=_("Responsible unit"), queryset=Unit.all_objects.none())

    def __init__(
        self, *args: Any, user: Any, division_search_url: str, unit_options_url: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        division_field = self.fields["division"]
        division_field.user = user  # type: ignore[attr-defined]
        division_field.widget.attrs.update(_division_widget_attrs(division_search_url))
        self.fields["category"].queryset = category_choices_queryset(active_only=True)  # type: ignore[attr-defined]
        unit_field = self.fields["unit"]
        unit_field.queryset = selectors.rule_units(user=user, division=None)  # type: ignore[attr-defined]
        unit_field.widget.choices, cut = unit_options(user=user, division=self._typed_division())
        if cut:
            unit_field.help_text = _(
                "Only the first {n} units are listed; choose the division first to narrow the list."
            ).format(n=MAX_UNIT_OPTIONS)
        # the unit list follows the division: htmx reloads the options when the division changes
        unit_field.widget.attrs.update(
            {
                "hx-get": unit_options_url,
                "hx-trigger": "change from:#id_division",
                "hx-include": "#id_division",
                "hx-target": "this",
                "hx-swap": "innerHTML",
            }
        )
        style_widgets(self)

    def _typed_division(self) -> Division | None:
        text = (self.data.get("division") or self.initial.get("division") or "").strip()
        if not text:
            return None
        try:
            return resolve_division(user=self.user, text=text)
        except ValidationError:
            return None

    def clean_division(self) -> Division | None:
        division: Division | None = self.cleaned_data.get("division")
        if division is None and not is_nationwide(self.user):
            raise ValidationError(
                _("Choose a division: only nationwide administrators may set nationwide rules.")
            )
        return division


class RuleReplaceForm(CatalogueForm):
    """Point an existing rule's division × category at another unit."""

    unit = UnitChoiceField(label=_("New responsible unit"), queryset=Unit.all_objects.none())

    def __init__(
        self, *args: Any, user: Any, division: Division | None, unit_q: str = "", **kwargs: Any
    ) -> None:
        """`unit_q` narrows the listed units by name (the replace page's search box)."""
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        unit_field.queryset = selectors.rule_units(user=user, division=division)  # type: ignore[attr-defined]
        unit_field.widget.choices, cut = unit_options(user=user, division=division, q=unit_q)
        if cut:
            unit_field.help_text = _(
                "Only the first {n} units are listed; search by name to narrow the list."
            ).format(n=MAX_UNIT_OPTIONS)


class PreviewForm(CatalogueForm):
    """Where would an appeal of this category in this division go?"""

    division = DivisionPickerField(label=_("Division of the appeal"))
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not classified"),
    )

    def __init__(self, *args: Any, user: Any, division_search_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        division_field = self.fields["division"]
        division_field.user = user  # type: ignore[attr-defined]
        division_field.widget.attrs.update(_division_widget_attrs(division_search_url))
        # appeals keep a retired category, so the preview offers every category
        self.fields["category"].queryset = category_choices_queryset(active_only=False)  # type: ignore[attr-defined]


class RuleFilterForm(CatalogueForm):
    """The rule list's filters, search and sort order (GET parameters)."""

    STATUS_CHOICES = (("active", _("Active")), ("inactive", _("Inactive")), ("all", _("Active and inactive")))

    division = forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("A code or prefix: 210105 keeps that county and everything below it."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(label=_("Unit name"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("division", _("Division")),
            ("-division", _("Division, descending")),
            ("unit", _("Unit")),
            ("-unit", _("Unit, descending")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = CategoryChoiceField(queryset=category_choices_queryset(active_only=False))
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("All categories")),
            (selectors.ANY_CATEGORY, _("Rules for any category")),
            *[(str(c.pk), field.label_from_instance(c)) for c in field.queryset],  # type: ignore[union-attr]
        ]

    def clean_division(self) -> str:
        value: str = self.cleaned_data["division"]
        return codes.normalise_prefix(value) if value else ""

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for selectors.rules_visible_to; invalid parameters are simply not applied."""
        self.is_valid()
        data = self.cleaned_data
        category: Category | str | None = None
        raw = data.get("category") or ""
        if raw == selectors.ANY_CATEGORY:
            category = selectors.ANY_CATEGORY
        elif raw:
            category = Category.objects.filter(pk=raw).first()
        status = data.get("status") or "active"
        return {
            "division_prefix": data.get("division", ""),
            "category": category,
            "q": data.get("q", ""),
            "is_active": {"active": True, "inactive": False}.get(status),
            "ordering": data.get("sort") or selectors.DEFAULT_RULE_ORDERING,
        }
