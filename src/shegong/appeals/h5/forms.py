"""Forms of the worker's pages: filing, phone verification, tracking, rating, withdrawal."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import AppealType, Satisfaction, WorkerType
from shegong.appeals.h5 import places
from shegong.appeals.models import TEXT_MAX, Attachment, Category
from shegong.appeals.services.attachments import validate_uploads
from shegong.appeals.tracking import ALPHABET, GROUP_LEN, GROUPS, normalise_tracking_no
from shegong.core import pii

COMMENT_MAX = 500
PLATFORMS = (
    "美团",
    "饿了么",
    "顺丰",
    "京东",
    "中通",
    "圆通",
    "韵达",
    "滴滴出行",
    "高德打车",
    "货拉拉",
    "满帮",
    "抖音",
    "快手",
)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def style(form: forms.Form) -> None:
    """Bootstrap classes on the widgets the templates render with {{ field }}."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect | forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero to MAX_PER_APPEAL files from one <input type=file multiple>; the content is checked by the
    form (all photos together, so every bad one is named at once)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(attrs={"multiple": True, "accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


def clean_phone_value(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(gettext("Enter your mobile phone number."), code="required")
    return pii.normalise(pii.PIIKind.PHONE, value)


class AppealForm(forms.Form):
    """The one-page filing form. Without a verified phone in the session it asks for the phone and the
    code sent to it; the place comes from the district/street/community selects (h5/places.py)."""

    text = forms.CharField(
        label=_("What happened?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who, where, when and what you need. Up to 4,000 characters."),
        error_messages={
            "required": _("Please describe your problem."),
            "max_length": _("Write at most %(limit_value)d characters; you wrote %(show_value)d."),
        },
    )
    appeal_type = forms.ChoiceField(
        label=_("Type of appeal"),
        choices=[("", _("Choose…")), *AppealType.choices],
        error_messages={"required": _("Choose the type of appeal.")},
    )
    category = forms.ModelChoiceField(
        label=_("Subject"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not sure — staff will choose"),
    )
    district = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    street = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    community = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=200,
        help_text=_("Optional, e.g. the station's name or the crossing."),
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 5 photos (JPG, PNG or WebP)."),
    )
    keep_location = forms.BooleanField(
        label=_("Keep the place where the photos were taken (helps staff find it)"), required=False
    )
    worker_type = forms.ChoiceField(
        label=_("Your work"),
        choices=[("", _("Choose…")), *WorkerType.choices],
        error_messages={"required": _("Choose the kind of work you do.")},
    )
    platform = forms.CharField(
        label=_("Platform or company"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"list": "h5-platforms", "autocomplete": "off"}),
    )
    anonymous = forms.BooleanField(
        label=_("Do not show my name and phone number to the handling unit"), required=False
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
    idem = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, verified_phone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verified_phone = verified_phone
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True, is_active=True
        ).order_by("order", "code")
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            data["division"] = places.resolve(self.data)
        except ValidationError as exc:
            self.add_error("district", exc)
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None):
            self.add_error("lat", gettext("Give both latitude and longitude, or neither."))
        else:
            data["lat"] = None if lat is None else Decimal(f"{lat:.6f}")
            data["lng"] = None if lng is None else Decimal(f"{lng:.6f}")
        files = data.get("photos") or []
        if len(files) > Attachment.MAX_PER_APPEAL:
            self.add_error(
                "photos", gettext("You can add at most {n} photos.").format(n=Attachment.MAX_PER_APPEAL)
            )
        elif "photos" in data:
            try:
                data["images"] = validate_uploads(files, keep_location=bool(data.get("keep_location")))
            except ValidationError as exc:
                self.add_error("photos", exc)
        return data

    def phone_value(self) -> str:
        return self.verified_phone or self.cleaned_data["phone"]

    def fingerprint(self) -> dict[str, Any]:
        """What makes two submissions the same appeal (the idempotency body): everything the worker
        entered except the one-time code, with the photos by the checksum of their stored form."""
        d = self.cleaned_data
        return {
            "text": d["text"],
            "appeal_type": d["appeal_type"],
            "category": d["category"].pk if d.get("category") else None,
            "division": d["division"].code,
            "address": d.get("address", ""),
            "lat": str(d.get("lat")),
            "lng": str(d.get("lng")),
            "worker_type": d["worker_type"],
            "platform": d.get("platform", ""),
            "anonymous": bool(d.get("anonymous")),
            "phone": pii.blind_index(pii.PIIKind.PHONE, self.phone_value()),
            "photos": [image.sha256 for image in d.get("images", [])],
        }


class SendCodeForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        error_messages={"required": _("Enter your mobile phone number.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data.get("phone", ""))


class VerifyForm(SendCodeForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
        error_messages={"required": _("Enter the code we sent to your phone.")},
    )


class TrackForm(forms.Form):
    no = forms.CharField(
        label=_("Tracking number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "placeholder": "K7M-4PX-92Q"}
        ),
        error_messages={"required": _("Enter the tracking number from the SMS.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def clean_no(self) -> str:
        value = normalise_tracking_no(self.cleaned_data["no"])
        raw = value.replace("-", "")
        if len(raw) != GROUPS * GROUP_LEN or any(ch not in ALPHABET for ch in raw):
            raise ValidationError(
                gettext("A tracking number has 9 letters and digits, like K7M-4PX-92Q."), code="invalid"
            )
        return value


class RateForm(forms.Form):
    """回访评价: solved or not, how satisfied, an optional comment."""

    RESOLVED_CHOICES = (("yes", _("Solved")), ("no", _("Not solved")))

    resolved = forms.ChoiceField(
        label=_("Was your problem solved?"),
        choices=RESOLVED_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether the problem was solved.")},
    )
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the handling?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters; you wrote %(show_value)d.")
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters; you wrote %(show_value)d.")
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)
