"""A hotline operator files an appeal for a caller (channel hotline): the operator types the phone number
(no one-time code: the operator heard the caller), and is recorded as the filer and the actor.

A double click or a resubmitted page must not file twice: the form carries a token and the filing runs
through `core.idempotency` keyed by the operator and that token.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from shegong.appeals.choices import AppealsPerm, AppealType, Channel, Urgency, WorkerType
from shegong.appeals.desk.access import perm_required, subtree_in_scope_or_404
from shegong.appeals.desk.filters import category_choices
from shegong.appeals.desk.forms import attach_errors, style_widgets
from shegong.appeals.models import TEXT_MAX, Category
from shegong.appeals.services import appeal_submit
from shegong.core import pii
from shegong.core.idempotency import IdempotencyConflict, run_idempotent
from shegong.core.scoping import division_q, prefixes_for
from shegong.divisions import codes
from shegong.divisions.forms import MAX_SELECT_OPTIONS, DivisionChoiceField
from shegong.divisions.models import Division
from shegong.divisions.selectors import pad_code

# Names operators type most; free text stays allowed (a <datalist>, not a <select>).
COMMON_PLATFORMS = (
    "美团",
    "饿了么",
    "顺丰",
    "京东",
    "闪送",
    "滴滴出行",
    "货拉拉",
    "满帮",
    "e代驾",
    "抖音",
    "快手",
)


class HotlineForm(forms.Form):
    phone = forms.CharField(label=_("Caller's mobile number"), max_length=20)
    text = forms.CharField(
        label=_("What the caller asks for"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    division = DivisionChoiceField(label=_("Where"), queryset=Division.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    appeal_type = forms.ChoiceField(label=_("Appeal type"), choices=AppealType.choices)
    worker_type = forms.ChoiceField(label=_("Worker type"), choices=WorkerType.choices)
    platform = forms.CharField(label=_("Platform"), max_length=50, required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    anonymous = forms.BooleanField(
        label=_("The caller wants to stay anonymous to the handling unit"), required=False
    )
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefixes = prefixes_for(user, AppealsPerm.INTAKE)
        divisions = Division.objects.filter(division_q("code", prefixes)).order_by("code")
        field = self.fields["division"]
        field.queryset = divisions  # type: ignore[attr-defined]
        if prefixes and "" not in prefixes:
            depths = [codes.PREFIX_LENGTHS.index(len(p)) for p in prefixes if len(p) in codes.PREFIX_LENGTHS]
            field.base_depth = min(depths, default=0)  # type: ignore[attr-defined]
        if divisions.count() > MAX_SELECT_OPTIONS:
            field.widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
            field.help_text = _("Type the division code, e.g. 210105001 for a street.")
        self.fields["category"].choices = [("", _("Not classified")), *category_choices(active_only=True)]  # type: ignore[attr-defined]
        self.fields["platform"].widget.attrs["list"] = "hotline-platforms"
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        style_widgets(self)

    def clean_phone(self) -> str:
        return pii.normalise(pii.PIIKind.PHONE, self.cleaned_data["phone"])

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Write down what the caller asks for."))
        return text

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data.get("category")
        return Category.objects.filter(pk=pk).first() if pk else None

    def fingerprint(self) -> dict[str, Any]:
        """The filing as the idempotency check compares it; the phone only as its keyed hash, so the stored
        request hash cannot be brute-forced back into a number."""
        d = self.cleaned_data
        return {
            **{k: v for k, v in d.items() if k not in ("phone", "division", "category", "form_token")},
            "phone": pii.blind_index(pii.PIIKind.PHONE, d["phone"]),
            "division": d["division"].code,
            "category": d["category"].pk if d["category"] else None,
        }


@require_http_methods(["GET", "POST"])
@perm_required(AppealsPerm.INTAKE)
def hotline_new(request: HttpRequest) -> HttpResponse:
    """GET draws the form (`?division=<code>` preselects a place: one outside the operator's area is a 404);
    POST files the appeal and opens its page."""
    user = request.user
    initial: dict[str, Any] = {"form_token": uuid.uuid4().hex, "urgency": Urgency.NORMAL}
    code = request.GET.get("division", "") if request.method == "GET" else ""
    if subtree_in_scope_or_404(user, AppealsPerm.INTAKE, code):
        initial["division"] = pad_code(code)
    form = HotlineForm(request.POST if request.method == "POST" else None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def file() -> tuple[int, dict[str, str]]:
            appeal = appeal_submit(
                actor=user,
                filed_by=user,
                channel=Channel.HOTLINE,
                text=d["text"],
                division=d["division"],
                phone=d["phone"],
                appeal_type=d["appeal_type"],
                worker_type=d["worker_type"],
                platform=d["platform"],
                address=d["address"],
                category=d["category"],
                urgency=d["urgency"],
                anonymous=d["anonymous"],
            )
            return 302, {"tracking_no": appeal.tracking_no}

        try:
            result = run_idempotent(
                scope=f"appeals.hotline:{user.pk}",
                key=d["form_token"],
                payload=form.fingerprint(),
                effect=file,
            )
        except IdempotencyConflict:
            form.add_error(None, _("This form was already used for another call. Open a new form."))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            number = result.body["tracking_no"]
            messages.success(
                request,
                gettext("Appeal filed. Read the tracking number to the caller: {number}.").format(
                    number=number
                ),
            )
            return redirect("appeals:desk_detail", tracking_no=number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "appeals/desk/hotline_form.html",
        {"form": form, "platforms": COMMON_PLATFORMS},
        status=status,
    )
