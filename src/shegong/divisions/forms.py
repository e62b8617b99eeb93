"""Forms of the unit pages. They only collect and check input; writes go through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shegong.accounts.choices import AccountsPerm
from shegong.core.scoping import prefixes_for
from shegong.divisions import codes, selectors
from shegong.divisions.choices import UnitType
from shegong.divisions.models import Division, Unit

# Above this many divisions a <select> is unusable (a nationwide administrator manages ~700,000):
# the picker becomes a code field instead, still limited to the managed divisions.
MAX_SELECT_OPTIONS = 1000


class DivisionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A division from a limited queryset, chosen from a list or typed as a code or prefix (210105001)."""

    default_error_messages = {
        "invalid_choice": _("Choose a division within your jurisdiction (a 12-digit code or its prefix)."),
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            value = selectors.pad_code(value) or value
        return super().to_python(value)

    # Depth of the shallowest choice; the list is indented relative to it.
    base_depth = 0

    def label_from_instance(self, obj: Division) -> str:
        # Indent by level so the flat list reads as a tree (codes sort parents before children).
        depth = codes.PREFIX_LENGTHS.index(obj.level) - self.base_depth
        return f"{'　' * max(depth, 0)}{obj.name}（{obj.code}）"


def _style_widgets(form: forms.Form) -> None:
    """Bootstrap classes on every widget (the templates render fields with {{ field }})."""
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    unit_type = forms.ChoiceField(label=_("Unit type"), choices=UnitType.choices)
    division = DivisionChoiceField(label=_("Division"), queryset=Division.objects.none())
    parent = forms.ModelChoiceField(
        label=_("Parent unit"),
        queryset=Unit.all_objects.none(),
        required=False,
        help_text=_("The unit this one reports to, if any."),
    )
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        required=False,
        help_text=_("18 characters; required for platform enterprises and social work organisations."),
    )
    contact_phone = forms.CharField(label=_("Office phone"), max_length=40, required=False)

    def __init__(self, *args: Any, user: Any, current_parent_id: int | None = None, **kwargs: Any) -> None:
        """`current_parent_id`: on the edit page, the unit's parent stays a valid choice even if it has been
        deactivated since, so the unit can be saved without detaching it."""
        super().__init__(*args, **kwargs)
        managed = selectors.divisions_managed_by(user=user)
        division_field = self.fields["division"]
        division_field.queryset = managed  # type: ignore[attr-defined]
        prefixes = prefixes_for(user, AccountsPerm.UNIT_MANAGE)
        if prefixes and "" not in prefixes:
            depths = [codes.PREFIX_LENGTHS.index(len(p)) for p in prefixes if len(p) in codes.PREFIX_LENGTHS]
            division_field.base_depth = min(depths, default=0)  # type: ignore[attr-defined]
        if managed.count() > MAX_SELECT_OPTIONS:
            division_field.widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
            division_field.help_text = _("Type the division code, e.g. 210105001 for a street.")
        self.fields["parent"].queryset = selectors.unit_parent_choices(  # type: ignore[attr-defined]
            user=user, keep_id=current_parent_id
        )
        _style_widgets(self)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter the unit's name."))
        return name

    def clean_uscc(self) -> str:
        value: str = self.cleaned_data["uscc"].strip()
        return codes.validate_uscc(value) if value else ""

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the matching fields (others at the top of the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class UnitFilterForm(forms.Form):
    """The unit list's search, filters and sort order (GET parameters)."""

    STATUS_CHOICES = (("", _("Active and inactive")), ("active", _("Active")), ("inactive", _("Inactive")))

    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=100)
    unit_type = forms.ChoiceField(
        label=_("Unit type"), required=False, choices=[("", _("All types")), *UnitType.choices]
    )
    division = forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("A code or prefix: 210105 keeps that county and everything below it."),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("division", _("Division")),
            ("name", _("Name")),
            ("type", _("Unit type")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-name", _("Name, descending")),
            ("-division", _("Division, descending")),
            ("-type", _("Unit type, descending")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style_widgets(self)

    def clean_division(self) -> str:
        value: str = self.cleaned_data["division"]
        return codes.normalise_prefix(value) if value else ""

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for selectors.units_visible_to; invalid parameters are simply not applied."""
        self.is_valid()  # cleaned_data then holds the parameters that are valid
        data = self.cleaned_data
        status = data.get("status", "")
        return {
            "q": data.get("q", ""),
            "unit_type": data.get("unit_type", ""),
            "division_prefix": data.get("division", ""),
            "is_active": {"active": True, "inactive": False}.get(status),
            "ordering": data.get("sort") or selectors.DEFAULT_UNIT_ORDERING,
        }
