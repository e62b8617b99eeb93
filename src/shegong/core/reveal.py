"""'Show personal data in full': a permission over the record's division, a reason, and an audit row.

Every module that stores an EncryptedTextField reuses this instead of writing its own. The recipe for a
detail page (docs/audit-and-pii.md):

    panel = reveal_panel(request, obj=appeal, field="phone", perm=AppealsPerm.PII_REVEAL)
    if panel.htmx_response is not None:
        return panel.htmx_response
    # context: {"phone_panel": panel}; template: {% include "core/_reveal.html" with panel=phone_panel %}

The detail view must accept POST (the form posts back to the page itself): with htmx only the panel is
swapped, without JavaScript the whole page re-renders with the value shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from shegong.core import audit
from shegong.core.audit import CoreAction
from shegong.core.forms import RevealForm, reason_error, reason_is_sufficient
from shegong.core.pii import EncryptedTextField, mask
from shegong.core.scoping import has_perm_on

__all__ = ["RevealPanel", "reveal", "reveal_panel"]


def _encrypted_field(obj: models.Model, field: str) -> EncryptedTextField:
    # Only encrypted personal data goes through here: a typo must not turn this into a way of reading
    # arbitrary attributes (a password hash, a TOTP secret under another name) with an innocent audit row.
    try:
        model_field = obj._meta.get_field(field)
    except FieldDoesNotExist as exc:
        raise ValueError(f"{obj._meta.label} has no field {field!r}") from exc
    if not isinstance(model_field, EncryptedTextField):
        raise ValueError(f"{obj._meta.label}.{field} is not an EncryptedTextField")
    return model_field


@transaction.atomic
def reveal(*, actor: Any, obj: models.Model, field: str, reason: str, perm: str) -> str:
    """The plaintext of `obj.<field>` for an actor holding `perm` over the object's division.

    Raises PermissionDenied without the permission and ValidationError without a reason of at least five
    non-space characters; otherwise writes a PII_REVEALED audit row (the field and the reason, never the
    value) in the same transaction and returns the value.
    """
    _encrypted_field(obj, field)
    if not has_perm_on(actor, perm, obj):
        raise PermissionDenied
    if not reason_is_sufficient(reason):
        raise reason_error()
    audit.record(
        action=CoreAction.PII_REVEALED,
        actor=actor,
        target=obj,
        changes={"field": field, "reason": reason.strip()},
    )
    value = getattr(obj, field)
    return str(value) if value else ""


@dataclass
class RevealPanel:
    """What core/_reveal.html renders for one field of one record."""

    field: str
    label: str
    masked: str
    has_value: bool
    can_reveal: bool
    form: RevealForm
    plaintext: str = ""
    htmx_response: HttpResponse | None = dc_field(default=None, repr=False)

    @property
    def revealed(self) -> bool:
        return bool(self.plaintext)

    @property
    def dom_id(self) -> str:
        return f"sg-reveal-{self.field}"


def reveal_panel(request: HttpRequest, *, obj: models.Model, field: str, perm: str) -> RevealPanel:
    """Build the panel for `obj.<field>`; on a POST naming this field, reveal it (or show the form's error).

    A POST from a user without `perm` over the object is a 403 (PermissionDenied propagates). For an htmx
    POST, `panel.htmx_response` holds the rendered panel alone, for the view to return as is.
    """
    model_field = _encrypted_field(obj, field)
    value = getattr(obj, field) or ""
    actor = request.user
    panel = RevealPanel(
        field=field,
        label=str(model_field.verbose_name),
        masked=mask(model_field.kind, value),
        has_value=bool(value),
        can_reveal=has_perm_on(actor, perm, obj),
        form=RevealForm(initial={"reveal_field": field}, auto_id=f"id_reveal_{field}_%s"),
    )
    if request.method == "POST" and request.POST.get("reveal_field") == field:
        form = RevealForm(request.POST, auto_id=f"id_reveal_{field}_%s")
        if not panel.can_reveal:
            raise PermissionDenied
        if form.is_valid():
            try:
                panel.plaintext = reveal(
                    actor=actor, obj=obj, field=field, reason=form.cleaned_data["reason"], perm=perm
                )
            except ValidationError as exc:
                form.add_error("reason", exc)
        panel.form = form
        if request.headers.get("HX-Request") == "true":
            html = render_to_string("core/_reveal.html", {"panel": panel}, request=request)
            response = HttpResponse(html)
            add_never_cache_headers(response)  # a full value must not linger in any cache
            panel.htmx_response = response
    return panel
