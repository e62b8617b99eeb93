"""The drills' verdicts (`shegong drill crash|backup`): they must say so when something did not hold.

The comparisons are fed broken data directly (fast, on every run). The crash drill itself runs for 15 s
on PostgreSQL test runs when the PostgreSQL server binaries (initdb, pg_ctl) are installed: it needs no
database of the test run, but the PostgreSQL runs are the ones that promise a server-grade machine.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from shegong.ops import digest
from shegong.ops.drills import DrillError
from shegong.ops.drills.backup import digests
from shegong.ops.drills.checks import (
    AUDIT_TABLE,
    Sent,
    StoredAppeal,
    marker_text,
    verify_backup,
    verify_crash,
)
from shegong.ops.drills.cluster import find_bin_dir
from shegong.ops.drills.crash import schedule
from tests.ops.conftest import child_env

# --- crash drill: the verdict --------------------------------------------------------------------------


def _world(
    n: int = 3,
) -> tuple[list[Sent], list[StoredAppeal], dict[int, int], dict[int, int], dict[str, str]]:
    """n acknowledged requests and a database that holds exactly what it should."""
    sent, appeals, events, audits, keys = [], [], {}, {}, {}
    for i in range(1, n + 1):
        marker, number = f"Dabc123-1-{i}", f"TN{i:03d}"
        sent.append(Sent(marker=marker, key=f"key-{i}", tracking_no=number, attempts=1))
        appeals.append(
            StoredAppeal(id=i, tracking_no=number, source_ref=marker, text=f"工资{marker_text(marker)}")
        )
        events[i], audits[i], keys[f"key-{i}"] = 1, 1, number
    return sent, appeals, events, audits, keys


def _verify(sent, appeals, events, audits, keys):  # type: ignore[no-untyped-def]
    return verify_crash(sent, appeals, submit_events=events, audit_rows=audits, idempotency=keys)


def test_a_database_that_holds_everything_passes() -> None:
    verdict = _verify(*_world())
    assert (verdict.acknowledged, verdict.stored) == (3, 3)
    assert not verdict.failed
    assert verdict.problems == []


def test_an_acknowledged_appeal_missing_from_the_database_is_lost() -> None:
    sent, appeals, events, audits, keys = _world()
    verdict = _verify(sent, appeals[1:], events, audits, keys)
    assert verdict.lost == 1
    assert verdict.failed


def test_an_acknowledged_number_that_belongs_to_another_appeal_is_lost() -> None:
    sent, appeals, events, audits, keys = _world()
    sent[0].tracking_no = "TN002"  # the client was told another appeal's number
    keys["key-1"] = "TN002"
    verdict = _verify(sent, appeals, events, audits, keys)
    assert verdict.lost == 1


def test_a_second_appeal_with_the_same_marker_is_a_duplicate() -> None:
    sent, appeals, events, audits, keys = _world()
    twin = StoredAppeal(id=9, tracking_no="TN999", source_ref=appeals[0].source_ref, text=appeals[0].text)
    verdict = _verify(sent, [*appeals, twin], {**events, 9: 1}, {**audits, 9: 1}, keys)
    assert verdict.duplicates == 1
    assert verdict.lost == 0
    assert verdict.failed


def test_an_appeal_nobody_sent_is_an_orphan() -> None:
    sent, appeals, events, audits, keys = _world()
    stranger = StoredAppeal(
        id=7, tracking_no="TN777", source_ref="Dabc123-9-9", text=marker_text("Dabc123-9-9")
    )
    unmarked = StoredAppeal(id=8, tracking_no="TN888", source_ref="", text="没有标记的诉求")
    verdict = _verify(
        sent, [*appeals, stranger, unmarked], {**events, 7: 1, 8: 1}, {**audits, 7: 1, 8: 1}, keys
    )
    assert verdict.orphans == 2
    assert verdict.failed


@pytest.mark.parametrize("missing", ["event", "audit", "idempotency", "extra_event"])
def test_rows_of_the_same_transaction_must_all_be_there(missing: str) -> None:
    sent, appeals, events, audits, keys = _world()
    if missing == "event":
        del events[2]
    elif missing == "audit":
        del audits[2]
    elif missing == "idempotency":
        del keys["key-2"]
    else:
        events[2] = 2
    verdict = _verify(sent, appeals, events, audits, keys)
    assert verdict.mismatches == 1
    assert verdict.failed


def test_an_appeal_stored_for_a_client_that_got_no_answer_is_reported() -> None:
    sent, appeals, events, audits, keys = _world()
    sent[2].tracking_no = None  # gave up after the commit, before hearing of it
    verdict = _verify(sent, appeals, events, audits, keys)
    assert verdict.unacknowledged == 1
    assert verdict.acknowledged == 2
    assert verdict.failed


def test_the_kill_schedule_has_every_kind_of_crash_inside_the_window() -> None:
    for seconds in (15, 60, 120):
        events = schedule(seconds, random.Random(seconds))
        kinds = [kind for _at, kind in events]
        assert kinds.count("master") == max(1, seconds // 30)
        assert kinds.count("postgres") == max(1, seconds // 30)
        assert {"worker", "workers"} & set(kinds)
        assert all(1 <= at <= seconds - 2 for at, _kind in events)
        assert events == sorted(events)


# --- backup drill: the verdict over real digests ---------------------------------------------------------


def _database(path: Path) -> None:
    assert AUDIT_TABLE == "core_auditevent"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE core_auditevent (id INTEGER PRIMARY KEY, action TEXT);
        CREATE TABLE appeals_appeal (id INTEGER PRIMARY KEY, tracking_no TEXT, text TEXT);
        INSERT INTO core_auditevent (action) VALUES ('a'), ('b');
        INSERT INTO appeals_appeal (tracking_no, text) VALUES ('TN1', '工资'), ('TN2', '停车');
        """
    )
    conn.commit()
    conn.close()


def _restore_copy(source: Path, target: Path, *extra: str) -> None:
    """A faithful copy plus the restore's own audit row, then `extra` statements."""
    shutil.copy(source, target)
    conn = sqlite3.connect(target)
    conn.execute("INSERT INTO core_auditevent (action) VALUES ('core.backup.restored')")
    for statement in extra:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _backup_verdict(source: Path, target: Path):  # type: ignore[no-untyped-def]
    before = digests("sqlite", f"sqlite:///{source}")
    return verify_backup(
        before=before,
        manifest=before,
        restored=digests("sqlite", f"sqlite:///{target}", upto={AUDIT_TABLE: 2}),
        restored_all=digests("sqlite", f"sqlite:///{target}"),
    )


def test_a_faithful_restore_is_equal(tmp_path: Path) -> None:
    _database(tmp_path / "src.sqlite3")
    _restore_copy(tmp_path / "src.sqlite3", tmp_path / "dst.sqlite3")
    verdict = _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "dst.sqlite3")
    assert verdict.equal
    assert verdict.rows == 4
    assert verdict.restore_audit_rows == 1


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE appeals_appeal SET text = '工资 ' WHERE id = 2",  # one character
        "DELETE FROM appeals_appeal WHERE id = 1",
        "INSERT INTO appeals_appeal (tracking_no, text) VALUES ('TN3', '多出来的')",
        "CREATE TABLE stations_station (id INTEGER PRIMARY KEY)",
    ],
)
def test_any_change_in_the_restored_data_is_caught(tmp_path: Path, change: str) -> None:
    _database(tmp_path / "src.sqlite3")
    _restore_copy(tmp_path / "src.sqlite3", tmp_path / "dst.sqlite3", change)
    verdict = _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "dst.sqlite3")
    assert not verdict.equal
    assert verdict.differing in (["appeals_appeal"], ["stations_station"])


def test_a_changed_audit_row_before_the_cut_is_caught(tmp_path: Path) -> None:
    _database(tmp_path / "src.sqlite3")
    _restore_copy(
        tmp_path / "src.sqlite3",
        tmp_path / "dst.sqlite3",
        "UPDATE core_auditevent SET action = 'x' WHERE id = 1",
    )
    verdict = _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "dst.sqlite3")
    assert verdict.differing == [AUDIT_TABLE]


def test_a_restore_that_adds_no_audit_row_or_two_is_caught(tmp_path: Path) -> None:
    _database(tmp_path / "src.sqlite3")
    shutil.copy(tmp_path / "src.sqlite3", tmp_path / "none.sqlite3")
    assert _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "none.sqlite3").restore_audit_rows == 0
    assert not _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "none.sqlite3").equal
    _restore_copy(
        tmp_path / "src.sqlite3",
        tmp_path / "two.sqlite3",
        "INSERT INTO core_auditevent (action) VALUES ('y')",
    )
    assert not _backup_verdict(tmp_path / "src.sqlite3", tmp_path / "two.sqlite3").equal


def test_a_manifest_that_disagrees_with_the_source_is_caught(tmp_path: Path) -> None:
    _database(tmp_path / "src.sqlite3")
    before = digests("sqlite", f"sqlite:///{tmp_path / 'src.sqlite3'}")
    manifest = {**before, "appeals_appeal": digest.TableDigest(rows=2, sha256="0" * 64)}
    verdict = verify_backup(before=before, manifest=manifest, restored=before, restored_all=before)
    assert verdict.manifest_differs == ["appeals_appeal"]
    assert not verdict.equal


# --- the crash drill itself ---------------------------------------------------------------------------


def _has_initdb() -> bool:
    try:
        find_bin_dir()
    except DrillError:
        return False
    return True


@pytest.mark.postgres
@pytest.mark.skipif(
    not _has_initdb(), reason="the PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)
def test_crash_drill_keeps_every_acknowledged_appeal(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shegong.cli",
            "drill",
            "crash",
            "--seconds",
            "15",
            "--clients",
            "4",
            "--seed",
            "7",
        ],
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["drill"] == "crash"
    assert result["acknowledged"] > 0
    assert (result["lost"], result["duplicates"], result["orphans"], result["mismatches"]) == (0, 0, 0, 0)
    assert result["master_kills"] == 1
    assert result["kills"] >= 1 + result["worker_kills"]
    assert result["pg_restarts"] == 2  # one during the load, one before the check
    assert result["pg_recoveries"] == 2  # and PostgreSQL replayed its WAL both times
    assert result["replayed"] == result["acknowledged"]
    assert result["replay_mismatches"] == 0
    folder = re.search(r"(/\S*shegong-drill-crash-[^/\s]+)/pg/data", proc.stdout)
    assert folder is not None, proc.stdout[:2000]
    assert not Path(folder.group(1)).exists()  # the cluster was stopped and its folder removed
