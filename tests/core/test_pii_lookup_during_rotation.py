"""Exact-match search keeps finding people while a key rotation is under way."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings

from shegong.accounts.models import User
from shegong.core.pii import PIIKind, pii_lookup, pii_match

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def test_rows_hashed_under_the_old_key_are_found_until_rotated() -> None:
    old_key = settings.SHEGONG_FIELD_KEY.split(",")[0]
    user = User.objects.create_user(username="zhang", phone=PHONE)
    new_key = Fernet.generate_key().decode()
    with override_settings(SHEGONG_FIELD_KEY=f"{new_key},{old_key}"):
        # the primary-key hash alone would miss the row: this is the gap pii_match closes
        assert not User.objects.filter(phone_hash=pii_lookup(PIIKind.PHONE, PHONE)).exists()
        assert list(User.objects.filter(pii_match("phone_hash", PIIKind.PHONE, "139 1234 5678"))) == [user]
        user.save()  # a save re-hashes under the new primary key
        assert User.objects.filter(phone_hash=pii_lookup(PIIKind.PHONE, PHONE)).exists()
    with override_settings(SHEGONG_FIELD_KEY=new_key):
        assert list(User.objects.filter(pii_match("phone_hash", PIIKind.PHONE, PHONE))) == [user]


def test_a_different_number_does_not_match() -> None:
    User.objects.create_user(username="li", phone=PHONE)
    assert not User.objects.filter(pii_match("phone_hash", PIIKind.PHONE, "13912345679")).exists()


def test_full_width_digits_are_the_same_number() -> None:
    user = User.objects.create_user(username="wang", phone="１３９１２３４５６７８")
    user.refresh_from_db()
    assert user.phone == PHONE
    assert list(User.objects.filter(pii_match("phone_hash", PIIKind.PHONE, PHONE))) == [user]
