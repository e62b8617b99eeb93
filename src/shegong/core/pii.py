"""Personal data: encrypted storage, keyed hashes for exact lookup, masking.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, authenticated: a tampered ciphertext fails
to decrypt instead of showing garbage). SHEGONG_FIELD_KEY holds one or more comma-separated keys; the
first encrypts, all decrypt, so a key can be rotated (`shegong manage rotate_field_key`). A keyed
HMAC-SHA256 of the normalised value sits in a separate indexed column for exact lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError


class PIIKind(models.TextChoices):
    PHONE = "phone", gettext_lazy("Mobile phone number")
    ID_NUMBER = "id_number", gettext_lazy("ID card number")
    TEXT = "text", gettext_lazy("Personal text")


class PIIDecryptError(RuntimeError):
    """A stored value failed authentication: wrong key or tampered data."""


_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise RuntimeError("SHEGONG_FIELD_KEY is empty")
    return MultiFernet([Fernet(k.encode()) for k in parts])


@lru_cache(maxsize=4)
def _hash_keys(keys: str) -> tuple[bytes, ...]:
    """One blind-index key per field key, primary first (derived, so no extra secret to manage)."""
    parts = [k.strip().encode() for k in keys.split(",") if k.strip()]
    return tuple(hmac.new(k, b"shegong blind index v1", hashlib.sha256).digest() for k in parts)


def encrypt(plaintext: str) -> str:
    return _fernet(settings.SHEGONG_FIELD_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.SHEGONG_FIELD_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise PIIDecryptError("personal data failed to decrypt (wrong key or tampered row)") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the primary key."""
    return _fernet(settings.SHEGONG_FIELD_KEY).rotate(token.encode()).decode()


def normalise(kind: str, value: str) -> str:
    """Canonical form of a value, raising ValidationError with a Chinese message when it is not valid.

    NFKC first: a Chinese input method types full-width digits (１３８…), which must hash like 138…."""
    value = unicodedata.normalize("NFKC", value).strip()
    if kind == PIIKind.PHONE:
        digits = re.sub(r"[\s\-()]", "", value)
        if digits.startswith("+86"):
            digits = digits[3:]
        elif digits.startswith("0086"):
            digits = digits[4:]
        if not _MOBILE.match(digits):
            raise ValidationError(_("Enter an 11-digit mainland mobile number."), code="invalid_phone")
        return digits
    if kind == PIIKind.ID_NUMBER:
        try:
            return str(ric.validate(value.upper()))
        except StdnumError as exc:
            raise ValidationError(
                _("Enter a valid 18-digit ID card number."), code="invalid_id_number"
            ) from exc
    return value


def blind_index(kind: str, value: str) -> str:
    """Keyed hash of the normalised value under the primary key: equal values give equal hashes, the hash
    reveals nothing. This is what BlindIndexField stores."""
    return _blind_indexes(kind, value)[0]


def _blind_indexes(kind: str, value: str) -> list[str]:
    canonical = f"{kind}:{normalise(kind, value)}".encode()
    return [
        hmac.new(key, canonical, hashlib.sha256).hexdigest() for key in _hash_keys(settings.SHEGONG_FIELD_KEY)
    ]


def mask(kind: str, value: str | None) -> str:
    if not value:
        return ""
    if kind == PIIKind.PHONE:
        return mask_phone(value)
    if kind == PIIKind.ID_NUMBER:
        return mask_id_number(value)
    return mask_text(value)


def mask_phone(value: str) -> str:
    """138****1234: the operator prefix and the last four digits."""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_id_number(value: str) -> str:
    """First character and last two: 1***************34."""
    if len(value) < 3:
        return "*" * len(value)
    return f"{value[0]}{'*' * (len(value) - 3)}{value[-2:]}"


def mask_text(value: str) -> str:
    """Names and free text: the first character only (张**)."""
    return value[0] + "*" * min(len(value) - 1, 8) if value else ""


class _EmptyOnlyExact(Exact):  # type: ignore[type-arg]
    """`field=""` is meaningful (no value stored); `field=<value>` would compare against a fresh, random
    ciphertext and silently match nothing, so it is refused."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise TypeError("exact lookups on encrypted values cannot match; use the blind index")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores the value encrypted; reads give the plaintext. Only `isnull` and `=""` lookups work on it."""

    def __init__(self, *args: Any, kind: str = PIIKind.TEXT, **kwargs: Any) -> None:
        self.kind = str(kind)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(normalise(self.kind, str(value)))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name != "isnull":
            raise TypeError(f"{lookup_name!r} lookups on encrypted values cannot match; use the blind index")
        return super().get_lookup(lookup_name)

    def clean(self, value: Any, model_instance: Any) -> Any:
        value = super().clean(value, model_instance)
        return normalise(self.kind, value) if value else value


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """HMAC of another field's value, computed on save, for exact-match lookup (`pii_lookup`)."""

    def __init__(self, *args: Any, source: str = "", kind: str = PIIKind.PHONE, **kwargs: Any) -> None:
        self.source = source
        self.kind = str(kind)
        kwargs.update(max_length=64, blank=True, default="", editable=False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "blank", "default", "editable"):
            kwargs.pop(key, None)
        kwargs.update(source=self.source, kind=self.kind)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        raw = getattr(model_instance, self.source)
        value = blind_index(self.kind, raw) if raw else ""
        setattr(model_instance, self.attname, value)
        return value


def pii_lookup(kind: str, value: str) -> str:
    """The blind-index value under the primary key (what a freshly saved row holds)."""
    return blind_index(kind, value)


def pii_match(field: str, kind: str, value: str) -> models.Q:
    """Q for an exact-match search on a blind-index column: `Model.objects.filter(pii_match("phone_hash",
    "phone", p))`. It matches the hash under every configured key, so rows not yet re-hashed by
    `rotate_field_key` are still found while a key rotation is under way."""
    return models.Q(**{f"{field}__in": _blind_indexes(kind, value)})
