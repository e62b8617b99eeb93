"""The `shegong` command: help, the demo, manage pass-through, and `serve` refusing unsafe settings."""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shegong.cli import main
from shegong.ops import digest
from tests.ops.conftest import child_env, shegong, sqlite_rows

SUBCOMMANDS = [
    [],
    ["demo"],
    ["serve"],
    ["worker"],
    ["manage"],
    ["seed"],
    ["seed", "divisions"],
    ["seed", "calendar"],
    ["seed", "demo"],
    ["backup"],
    ["restore"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=lambda w: " ".join(w) or "shegong")
def test_every_command_explains_itself(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*words, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: shegong")
    assert "\x1b[" not in out  # plain text, no terminal colour codes
    # A description in words beyond the usage line, in English and Chinese.
    assert re.search(r"[A-Za-z]{4,} [a-z]{2,} [a-z]{2,}", out.split("\n", 2)[2])
    assert re.search(r"[\u4e00-\u9fff]", out)


def test_unknown_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["launch-rockets"])
    assert exit_info.value.code == 2
    assert "usage: shegong" in capsys.readouterr().err


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "usage: shegong" in capsys.readouterr().err


def _printed_accounts(stdout: str) -> dict[str, str]:
    accounts = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[-2].startswith("demo_"):
            accounts[words[-2]] = words[-1]
    return accounts


def test_demo_twice_keeps_the_same_data_and_prints_the_accounts(demo_dir: Path) -> None:
    # The fixture ran the demo once in an empty folder; any later run must change nothing.
    first = (demo_dir / "first-run.txt").read_text()
    db = demo_dir / "shegong.sqlite3"
    assert str(demo_dir) in first
    assert str(db) in first
    after_first = sqlite_rows(db)
    second = shegong("demo", "--no-serve", data_dir=demo_dir, check=True)
    after_second = sqlite_rows(db)
    assert {t: len(r) for t, r in after_second.items()} == {t: len(r) for t, r in after_first.items()}
    assert after_second == after_first  # not one value changed
    assert len(after_first["accounts_user"]) == 8
    assert len(after_first["divisions_division"]) > 10
    printed = _printed_accounts(second.stdout)
    assert sorted(printed) == sorted(
        [
            "demo_admin",
            "demo_security",
            "demo_auditor",
            "demo_leader",
            "demo_intake",
            "demo_handler",
            "demo_socialworker",
            "demo_volunteer",
        ]
    )
    assert len(set(printed.values())) == 1
    for path in ["/h5/", "/desk/", "/dashboard/", "/admin/", "/api/docs"]:
        assert f"http://127.0.0.1:8000{path}" in second.stdout


def test_demo_ignores_database_url_and_says_so(demo_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    proc = shegong("demo", "--no-serve", data_dir=demo_dir, check=True, DATABASE_URL=f"sqlite:///{elsewhere}")
    assert "DATABASE_URL" in proc.stdout
    assert str(demo_dir / "shegong.sqlite3") in proc.stdout
    assert not elsewhere.exists()


def test_demo_reset_deletes_the_database_first(demo_dir: Path, tmp_path: Path) -> None:
    # A marker row only the old database holds.
    shegong(
        "manage",
        "shell",
        "-c",
        "from shegong.divisions.models import Unit, Division\n"
        "Unit.all_objects.create(name='将被删除', unit_type='other',"
        " division=Division.objects.get(code='210105000000'))",
        data_dir=demo_dir,
        check=True,
    )
    proc = shegong("demo", "--no-serve", "--reset", "--port", "8123", data_dir=demo_dir, check=True)
    db = demo_dir / "shegong.sqlite3"
    # Printed twice: as the demo database, and as the file it deletes.
    assert len(re.findall(rf"{re.escape(str(db))}$", proc.stdout, flags=re.MULTILINE)) == 2
    assert "http://127.0.0.1:8123/desk/" in proc.stdout
    names = [row[1] for row in sqlite_rows(demo_dir / "shegong.sqlite3")["divisions_unit"]]
    assert "将被删除" not in names


LOGIN_CHECK = """
import json
from django.contrib.auth import authenticate
from shegong.accounts.models import User
result = {}
for username, password in json.loads(ACCOUNTS).items():
    user = authenticate(None, username=username, password=password)
    result[username] = {
        "login": user is not None,
        "demo": bool(user and user.is_demo),
        "grants": sorted(
            [g.role, g.division_id, g.division.level, g.unit.unit_type if g.unit else ""]
            for g in User.objects.get(username=username).grants.filter(is_active=True)
        ),
    }
print(json.dumps(result))
"""


def test_printed_demo_accounts_can_log_in_with_their_grants(demo_dir: Path, tmp_path: Path) -> None:
    printed = _printed_accounts((demo_dir / "first-run.txt").read_text())
    # A user changes the demo password; the next demo run puts back the printed one.
    shegong(
        "manage",
        "shell",
        "-c",
        "from shegong.accounts.models import User\n"
        "u = User.objects.get(username='demo_leader'); u.set_password('Changed-by-user-99'); u.save()",
        data_dir=demo_dir,
        check=True,
    )
    shegong("seed", "demo", data_dir=demo_dir, check=True)
    script = f"ACCOUNTS = {json.dumps(json.dumps(printed))}\n{LOGIN_CHECK}"
    out = shegong("manage", "shell", "-c", script, data_dir=demo_dir, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert all(r["login"] and r["demo"] for r in result.values()), result
    districts = {"210105000000", "450103000000", "150102000000"}
    for name in ["demo_admin", "demo_security", "demo_auditor", "demo_leader"]:
        assert {g[1] for g in result[name]["grants"]} == districts
    assert [g[:2] for g in result["demo_intake"]["grants"]] == [["intake", "210105000000"]]
    [handler] = result["demo_handler"]["grants"]
    assert handler[0] == "handler"
    assert handler[1].startswith("210105")
    assert handler[2:] == [9, "street_office"]
    [volunteer] = result["demo_volunteer"]["grants"]
    assert volunteer[1].startswith("210105")
    assert volunteer[2] == 12


def test_manage_passes_commands_through(demo_dir: Path) -> None:
    proc = shegong("manage", "check", data_dir=demo_dir)
    assert proc.returncode == 0, proc.stderr
    assert "no issues" in proc.stdout
    bad = shegong("manage", "no_such_command", data_dir=demo_dir)
    assert bad.returncode == 1
    assert "no_such_command" in bad.stderr


# --- serve ----------------------------------------------------------------------------------------------


def _good_secrets() -> dict[str, str]:
    return {"SECRET_KEY": secrets.token_urlsafe(60), "SHEGONG_FIELD_KEY": Fernet.generate_key().decode()}


def _dev_secret(data_dir: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((data_dir / "dev-secrets.json").read_text())
    return data


@pytest.mark.parametrize(
    ("case", "variable"),
    [
        ("debug on", "SHEGONG_DEBUG"),
        ("no secret key", "SECRET_KEY"),
        ("short secret key", "SECRET_KEY"),
        ("django's insecure key", "SECRET_KEY"),
        ("data folder's dev key", "SECRET_KEY"),
        ("no field key", "SHEGONG_FIELD_KEY"),
        ("malformed field key", "SHEGONG_FIELD_KEY"),
        ("data folder's dev field key", "SHEGONG_FIELD_KEY"),
    ],
)
def test_serve_refuses_unsafe_settings_before_listening(demo_dir: Path, case: str, variable: str) -> None:
    env = _good_secrets()
    dev = _dev_secret(demo_dir)
    if case == "debug on":
        env["SHEGONG_DEBUG"] = "1"
    elif case == "no secret key":
        del env["SECRET_KEY"]
    elif case == "short secret key":
        env["SECRET_KEY"] = "s3cret-but-short"
    elif case == "django's insecure key":
        env["SECRET_KEY"] = "django-insecure-" + "x" * 60
    elif case == "data folder's dev key":
        env["SECRET_KEY"] = dev["secret_key"]
    elif case == "no field key":
        del env["SHEGONG_FIELD_KEY"]
    elif case == "malformed field key":
        env["SHEGONG_FIELD_KEY"] = "not-a-fernet-key"
    else:
        env["SHEGONG_FIELD_KEY"] = dev["field_key"]
    port = _free_port()
    proc = shegong("serve", "--bind", f"127.0.0.1:{port}", data_dir=demo_dir, **env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert variable in proc.stderr
    assert "Listening at" not in proc.stdout + proc.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    # As nginx sends it; the URL is always http://127.0.0.1.
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback URL)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_serve_runs_gunicorn_with_static_files_and_production_headers(demo_dir: Path) -> None:
    port = _free_port()
    env = child_env(demo_dir, SHEGONG_WEB_WORKERS="1", **_good_secrets())
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "shegong.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, headers, body = 0, {}, b""
        # Wait for the server to answer (collectstatic runs first); give up if it exits.
        deadline = time.monotonic() + 120
        while server.poll() is None and time.monotonic() < deadline:
            try:
                status, headers, body = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, "serve exited early"
        assert status == 200
        assert "max-age=" in headers.get("Strict-Transport-Security", "")
        static = re.search(rb'(/static/[^"\']+\.css)', body)
        assert static is not None, body[:500]
        assert _get(f"http://127.0.0.1:{port}{static.group(1).decode()}")[0] == 200
        assert (demo_dir / "static" / "staticfiles.json").exists()  # the manifest of collectstatic
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert '"GET / HTTP/1.1" 200' in output  # the access log goes to stdout


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    proc = shegong("serve", "--bind", f"127.0.0.1:{_free_port()}", data_dir=tmp_path, **_good_secrets())
    assert proc.returncode == 2
    assert "shegong manage migrate" in proc.stderr


def test_digest_of_the_demo_database_covers_every_table(demo_dir: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(demo_dir / "shegong.sqlite3")
    try:
        digests = digest.sqlite_digests(conn)
    finally:
        conn.close()
    rows = sqlite_rows(demo_dir / "shegong.sqlite3")
    assert set(digests) == set(rows)
    assert {t: d["rows"] for t, d in digests.items()} == {t: len(r) for t, r in rows.items()}


def test_worker_once_does_the_waiting_work_and_exits(demo_dir: Path) -> None:
    proc = shegong("worker", "--once", data_dir=demo_dir)
    assert proc.returncode == 0, proc.stderr
    assert "core.purge_idempotency_keys" in proc.stdout + proc.stderr  # a periodic job ran
