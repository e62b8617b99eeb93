"""Forms of the rider's station pages: the problem report (with the one-time code when the phone is not yet
confirmed in this session)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import WorkerType
from shegong.appeals.h5.forms import clean_phone_value, style
from shegong.stations.choices import FeedbackKind
from shegong.stations.usage import NOTE_MAX


class ProblemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=[],
        error_messages={"required": _("Choose what is wrong."), "invalid_choice": _("Choose what is wrong.")},
    )
    note = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters; you wrote %(show_value)d.")
        },
    )
    worker_type = forms.ChoiceField(
        label=_("Your work"), choices=WorkerType.choices, initial=WorkerType.OTHER
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )

    def __init__(self, *args: Any, verified_phone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verified_phone = verified_phone
        self.fields["kind"].choices = [("", _("Choose…"))] + [  # type: ignore[attr-defined]
            (k, FeedbackKind(k).label) for k in FeedbackKind.problems()
        ]
        if verified_phone:
            del self.fields["phone"]
            del self.fields["code"]
        style(self)

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data.get("phone", ""))

    def clean_code(self) -> str:
        code = (self.cleaned_data.get("code") or "").strip()
        if not code:
            raise ValidationError(gettext("Enter the code we sent to your phone."), code="required")
        return code
