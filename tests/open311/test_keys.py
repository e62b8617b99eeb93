"""`shegong open311 key create|list|revoke`: keys for platform enterprises, stored hashed, audited."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.utils import translation

from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken, Grant, User
from shegong.cli import main
from shegong.core.api import token_hash
from shegong.core.models import AuditEvent
from shegong.open311 import keys
from shegong.open311.audit_actions import Open311Action
from tests.support.world import World

KEY = re.compile(r"^sg_[A-Za-z0-9_-]{40,}$")


def shegong(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    """Run `shegong WORDS` in this process (the test database); (exit code, stdout, stderr)."""
    capsys.readouterr()
    # A command run from the command line closes every connection when it ends, which would end the
    # test's transaction on PostgreSQL; the test's connection stays open here.
    with (
        mock.patch.object(connections, "close_all"),
        translation.override("en"),
        pytest.raises(SystemExit) as exit_info,
    ):
        main(list(words))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def create(capsys: pytest.CaptureFixture[str], platform: str = "美团", division: str = "210105") -> str:
    code, out, err = shegong(
        capsys, "open311", "key", "create", "--platform", platform, "--division", division
    )
    assert code == 0, err
    return out.rstrip("\n").splitlines()[-1]


def works(raw: str) -> bool:
    """Does the key authenticate? (It is an API token: /api/v1 accepts it as a bearer token.)"""
    status = Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
    assert status in {200, 401}
    return status == 200


def open311_account(raw: str) -> Any:
    """What the Open311 endpoints make of the key, once their authentication has landed."""
    auth = pytest.importorskip("shegong.open311.auth")
    return auth.account_for_api_key(raw)


# --- create ----------------------------------------------------------------------------------------------
def test_create_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = shegong(
        capsys, "open311", "key", "create", "--platform", "美团", "--division", "210105"
    )
    assert code == 0
    lines = out.rstrip("\n").splitlines()
    raw = lines[-1]
    assert KEY.match(raw), lines
    assert raw not in "\n".join(lines[:-1])  # printed once
    token = ApiToken.objects.get()
    assert token.key_hash == token_hash(raw)
    assert raw not in {token.key_hash, token.prefix, token.name}
    assert raw.startswith(token.prefix)
    assert token.revoked_at is None
    assert token.expires_at is None
    # The platform account: 美团 at 皇姑区, a platform partner there, unable to log in.
    account = token.user
    assert account.username.startswith("open311-")
    assert account.username.endswith("-210105")
    assert account.real_name == "美团"
    assert account.division == world.home
    assert account.is_active
    assert not account.has_usable_password()
    assert [(g.role, g.division_id) for g in account.grants.all()] == [
        (Role.PLATFORM_PARTNER, world.home.code)
    ]
    assert works(raw)
    assert account.scope_prefixes("appeals:appeal:file") == ["210105"]


def test_second_key_for_the_same_platform_and_division_reuses_the_account(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    first = create(capsys)
    second = create(capsys, platform=" 美团 ")  # the same name, typed with spaces
    assert first != second
    tokens = list(ApiToken.objects.order_by("pk"))
    assert len(tokens) == 2
    assert tokens[0].user_id == tokens[1].user_id
    assert Grant.objects.filter(role=Role.PLATFORM_PARTNER).count() == 1
    assert works(first)
    assert works(second)
    # Another platform at the same division, or the same platform elsewhere: accounts of their own.
    create(capsys, platform="饿了么")
    create(capsys, platform="美团", division="450103000000")
    accounts = {t.user_id for t in ApiToken.objects.all()}
    assert len(accounts) == 3
    away = User.objects.get(username__endswith="-450103")
    assert away.real_name == "美团"
    assert away.division == world.away


def test_latin_platform_names_make_readable_accounts_matched_without_case(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    create(capsys, platform="Meituan")
    create(capsys, platform="MEITUAN")
    assert set(User.objects.filter(username__startswith="open311-").values_list("username", flat=True)) == {
        "open311-meituan-210105"
    }


def test_a_city_code_names_the_city(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    create(capsys, division="210100")
    account = ApiToken.objects.get().user
    assert account.division_id == "210100000000"
    assert account.username.endswith("-2101")


@pytest.mark.parametrize(
    ("platform", "division", "says"),
    [
        ("美团", "999999", "999999"),  # well-formed, no such division
        ("美团", "21010", "2, 4, 6, 9 or 12"),  # not a prefix at all
        ("美团", "", "210105"),  # nationwide keys do not exist
        ("  ", "210105", "platform"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_error_and_writes_nothing(
    world: World, capsys: pytest.CaptureFixture[str], platform: str, division: str, says: str
) -> None:
    users = User.objects.count()
    code, out, err = shegong(
        capsys, "open311", "key", "create", "--platform", platform, "--division", division
    )
    assert code != 0
    assert says in err
    assert "Traceback" not in err
    assert not KEY.search(out)
    assert not ApiToken.objects.exists()
    assert User.objects.count() == users
    assert not AuditEvent.objects.exists()


def test_missing_options_are_a_usage_error(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = shegong(capsys, "open311", "key", "create", "--platform", "美团")
    assert code == 2
    assert "--division" in err


def test_help_is_in_english_and_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for words in (["open311"], ["open311", "key"], ["open311", "key", "create"], ["open311", "key", "list"]):
        code, out, _err = shegong(capsys, *words, "--help")
        assert code == 0
        assert re.search(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{2,}", out)
        assert re.search(r"[\u4e00-\u9fff]", out)


# --- list ------------------------------------------------------------------------------------------------
def test_list_shows_platform_division_prefix_and_dates_never_the_key(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    first = create(capsys)
    second = create(capsys, platform="饿了么")
    code, out, _err = shegong(capsys, "open311", "key", "list")
    assert code == 0
    assert first not in out
    assert second not in out
    for token in ApiToken.objects.all():
        assert token.key_hash not in out
        row = next(line for line in out.splitlines() if line.startswith(f"{token.pk} "))
        assert f"{token.prefix}…" in row
        assert "210105 皇姑区" in row
        assert token.user.real_name in row
    # Filters: one platform; inside a division; active only.
    _code, out, _err = shegong(capsys, "open311", "key", "list", "--platform", "饿了么")
    assert "饿了么" in out
    assert "美团" not in out
    _code, out, _err = shegong(capsys, "open311", "key", "list", "--division", "450103")
    assert "美团" not in out
    assert "饿了么" not in out


def test_list_service_reports_use_and_revocation(world: World) -> None:
    token, raw = keys.key_create(platform="美团", division="210105")
    assert works(raw)
    [row] = keys.key_list()
    assert (row.platform, row.division_prefix, row.division_name) == ("美团", "210105", "皇姑区")
    assert row.prefix == token.prefix
    assert row.last_used_at is not None
    assert row.active
    keys.key_revoke(prefix_or_id=str(token.pk))
    [row] = keys.key_list()
    assert row.revoked_at is not None
    assert not row.active
    assert keys.key_list(include_revoked=False) == []


def test_list_leaves_out_tokens_that_are_not_open311_keys(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    staff = world.user(Role.INTAKE)
    ApiToken.objects.create(user=staff, name="12345 热线", prefix="sg_other", key_hash="0" * 64)
    assert keys.key_list() == []
    _code, out, _err = shegong(capsys, "open311", "key", "list")
    assert "sg_other" not in out


# --- revoke ----------------------------------------------------------------------------------------------
def test_revoke_by_prefix_stops_the_key_at_once(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    raw = create(capsys)
    keep = create(capsys)
    assert works(raw)
    code, out, _err = shegong(capsys, "open311", "key", "revoke", raw[:8] + "…")
    assert code == 0
    assert raw not in out
    assert ApiToken.objects.get(key_hash=token_hash(raw)).revoked_at is not None
    assert not works(raw)
    assert works(keep)  # the platform's other key goes on working
    _code, out, _err = shegong(capsys, "open311", "key", "list", "--active")
    assert raw[:8] not in out
    assert keep[:8] in out


def test_open311_authentication_refuses_a_revoked_key(world: World) -> None:
    token, raw = keys.key_create(platform="美团", division="210105")
    assert open311_account(raw) == token.user
    keys.key_revoke(prefix_or_id=raw)  # the whole key names it too
    assert open311_account(raw) is None
    assert open311_account("sg_not-a-key") is None


def test_revoking_twice_changes_nothing_more(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    token, _raw = keys.key_create(platform="美团", division="210105")
    assert shegong(capsys, "open311", "key", "revoke", str(token.pk))[0] == 0
    revoked_at = ApiToken.objects.get().revoked_at
    assert shegong(capsys, "open311", "key", "revoke", str(token.pk))[0] == 0
    assert ApiToken.objects.get().revoked_at == revoked_at
    assert AuditEvent.objects.filter(action=Open311Action.KEY_REVOKED).count() == 1


def test_revoke_refuses_unknown_and_ambiguous_keys(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    keys.key_create(platform="美团", division="210105")
    keys.key_create(platform="美团", division="210105")
    code, _out, err = shegong(capsys, "open311", "key", "revoke", "sg_")
    assert code != 0
    assert "more than one" in err
    code, _out, err = shegong(capsys, "open311", "key", "revoke", "999")
    assert code != 0
    assert "999" in err
    staff_token = ApiToken.objects.create(
        user=world.user(Role.INTAKE), name="12345 热线", prefix="sg_staff", key_hash="1" * 64
    )
    with pytest.raises(ValidationError):  # not an Open311 key: this command leaves it alone
        keys.key_revoke(prefix_or_id=str(staff_token.pk))
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


# --- audit -----------------------------------------------------------------------------------------------
def test_keys_are_audited_without_the_key(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    first = create(capsys)
    second = create(capsys)
    shegong(capsys, "open311", "key", "revoke", first[:8])
    account = ApiToken.objects.first().user  # type: ignore[union-attr]
    created = list(AuditEvent.objects.filter(action=Open311Action.KEY_CREATED).order_by("pk"))
    assert [e.changes["account_created"] for e in created] == [True, False]
    for event, raw in zip(created, (first, second), strict=True):
        assert event.target_id == str(account.pk)
        assert event.division_code == "210105000000"
        assert event.changes["prefix"] == raw[:8]
        assert event.changes["platform"] == "美团"
        assert event.actor_id is None
    [revoked] = AuditEvent.objects.filter(action=Open311Action.KEY_REVOKED)
    assert revoked.changes["prefix"] == first[:8]
    assert revoked.division_code == "210105000000"
    # The account itself was made once, by accounts' audited services.
    assert AuditEvent.objects.filter(action="accounts.user.created", target_id=str(account.pk)).count() == 1
    assert AuditEvent.objects.filter(action="accounts.grant.added").count() == 1
    text = str(list(AuditEvent.objects.values()))
    assert first not in text
    assert second not in text
