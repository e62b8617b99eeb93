"""`shegong bench intake`'s harness: the client reports it reads, the lost/duplicate checks, the appeals it
posts, and the environment it gives the server. No timing assertions; the one wrk run (a second, against
a stub server on loopback) checks that the Lua scripts write what the parser reads."""

from __future__ import annotations

import json
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from shegong.appeals.bench import corpus, load, server
from shegong.appeals.bench.results import Phase, check_integrity, parse_report, result_line
from shegong.appeals.schemas import AppealIn
from shegong.core import pii

REPORT = """\
summary {"requests": 10, "duration_us": 2000000, "connect": 0, "read": 1, "write": 0, "status": 2, \
"timeout": 1, "p50_us": 12500, "p90_us": 30000, "p99_us": 81000, "max_us": 95000, "mean_us": 15000}
status 201 5
status 201 3
status 409 1
status 500 1
ack r-1-1 AAA-BBB-CCC
ack r-1-2 DDD-EEE-FFF
ack r-1-2 DDD-EEE-FFF
sample r-1-1 7
failure 500 {"code": "error"}
"""


def test_report_is_read_into_statuses_errors_and_acknowledgements() -> None:
    phase = parse_report(REPORT, name="intake")
    assert phase.statuses == {201: 8, 409: 1, 500: 1}  # two threads' lines for 201 are added up
    assert phase.ok == 8
    assert phase.errors == 2 + 2  # two non-2xx answers, one read error, one timeout
    assert phase.rps == 4.0  # successful answers per second over the 2 s
    assert (phase.p50_ms, phase.p99_ms) == (12.5, 81.0)
    assert phase.acked == {"r-1-1": "AAA-BBB-CCC", "r-1-2": "DDD-EEE-FFF"}
    assert phase.acked_twice == 1
    assert phase.samples == [("r-1-1", 6)]  # Lua's line numbers start at 1
    assert phase.failures == ['500 {"code": "error"}']


@pytest.mark.parametrize("text", ["status 201 5\n", REPORT + "garbage here\n"])
def test_a_report_without_summary_or_with_unknown_lines_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="report"):
        parse_report(text, name="intake")


def test_integrity_counts_lost_duplicates_and_unacknowledged() -> None:
    acked = {"a": "T-1", "b": "T-2", "c": "T-3", "d": "T-4"}
    rows = [
        ("a", "T-1"),
        ("b", "T-2"),
        ("b", "T-9"),  # a second appeal for one reference: a duplicate
        ("c", "T-8"),  # stored, but not under the number the client was given: lost
        ("e", "T-5"),  # in flight when the client stopped: stored, never acknowledged
    ]  # "d" is missing: lost
    keys = [("a", "T-1"), ("b", "T-2"), ("c", "T-8"), ("e", "T-5"), ("e", "T-5")]
    found = check_integrity(acked, rows, keys)
    assert found.acknowledged == 4
    assert found.stored == 5
    assert found.lost == 2
    assert found.duplicates == 1 + 1  # one extra appeal row for "b", one extra key record for "e"
    assert found.unacknowledged == 1
    assert found.unkeyed == 1  # T-9 has no idempotency record


def test_integrity_of_a_clean_run_is_all_zero() -> None:
    acked = {f"r-{i}": f"T-{i}" for i in range(50)}
    rows = list(acked.items())
    found = check_integrity(acked, rows, rows)
    assert (found.lost, found.duplicates, found.unacknowledged, found.unkeyed) == (0, 0, 0, 0)


def _phase(name: str, ok: int, seconds: float, **statuses: int) -> Phase:
    counts = {201 if name == "intake" else 200: ok, **{int(k[1:]): v for k, v in statuses.items()}}
    return Phase(name, sum(counts.values()), seconds, counts, 0, 10.0, 20.0, 50.0, 60.0)


def test_result_line_puts_the_agreed_keys_first_and_adds_up_errors() -> None:
    intake = _phase("intake", 1000, 10.0, s500=2)
    baseline = _phase("baseline", 4000, 10.0)
    integrity = check_integrity({"a": "T"}, [("a", "T")], [("a", "T")])
    result = json.loads(result_line(intake=intake, baseline=baseline, integrity=integrity, other_errors=1))
    assert list(result)[:9] == [
        "bench", "rps", "p50_ms", "p99_ms", "baseline_rps", "ratio", "errors", "lost", "duplicates",
    ]  # fmt: skip
    assert result["bench"] == "intake"
    assert (result["rps"], result["baseline_rps"], result["ratio"]) == (100.0, 400.0, 0.25)
    assert result["errors"] == 3
    assert (result["lost"], result["duplicates"]) == (0, 0)


def _places() -> list[corpus.Place]:
    return [corpus.Place("210105001000", "三台子街道"), corpus.Place("450103001001", "凤凰社区")]


def test_corpus_bodies_are_valid_requests_that_differ(tmp_path: Path) -> None:
    lines = corpus.write_corpus(tmp_path / "c.txt", _places(), ["WAGE", "ACCESS", "NOT_IN_TEXTS"], n=200)
    assert (tmp_path / "c.txt").read_text(encoding="utf-8").splitlines() == lines
    bodies = [json.loads(corpus.body(line, f"ref-{i}")) for i, line in enumerate(lines)]
    for i, data in enumerate(bodies):
        appeal = AppealIn.model_validate(data)
        assert appeal.source_ref == f"ref-{i}"
        assert appeal.division in {"210105001000", "450103001001"}
        assert appeal.category in {None, "WAGE", "ACCESS"}
        assert pii.normalise(pii.PIIKind.PHONE, appeal.phone or "") == appeal.phone
        assert (appeal.lat is None) == (appeal.lng is None)
    assert len({b["text"] for b in bodies}) > 20
    assert len({b["phone"] for b in bodies}) > 150
    assert {b["worker_type"] for b in bodies} >= {"food_delivery", "courier"}


@pytest.mark.parametrize("name", ["shegong", "prod", "bench; drop", "Shegong_Bench", "x" * 70 + "bench"])
def test_a_database_name_without_bench_or_not_plain_is_refused(name: str) -> None:
    with pytest.raises(server.BenchError):
        server.check_database_name(name)


def test_the_server_gets_production_secrets_and_none_of_the_operators_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHEGONG_SMS_BACKEND", "mycompany.sms.RealGateway")
    monkeypatch.setenv("DATABASE_URL", "postgres://prod/shegong")
    monkeypatch.setenv("SECRET_KEY", "the-real-one")
    monkeypatch.setenv("SHEGONG_STATIC_ROOT", "/srv/static")
    env = server.production_env(database_url="postgres://x/shegong_bench", data_dir=tmp_path, workers=2)
    assert "SHEGONG_SMS_BACKEND" not in env  # the console backend: no real SMS to generated numbers
    assert "SHEGONG_STATIC_ROOT" not in env
    assert env["DATABASE_URL"] == "postgres://x/shegong_bench"
    assert env["SECRET_KEY"] != "the-real-one"
    assert len(env["SECRET_KEY"]) >= 50
    Fernet(env["SHEGONG_FIELD_KEY"].encode())  # a valid key, or this raises
    assert (env["SHEGONG_DEBUG"], env["SHEGONG_WEB_WORKERS"], env["DATABASE_CONN_MAX_AGE"]) == (
        "0",
        "2",
        "60",
    )
    assert env["PATH"] == os.environ["PATH"]


def test_server_url_follows_a_postgres_database_url_only() -> None:
    assert server.server_url("postgres://u:p@db:5433/shegong") == "postgres://u:p@db:5433/postgres"
    assert server.server_url("sqlite:///x.db") == server.DEFAULT_SERVER
    assert server.with_database(server.DEFAULT_SERVER, "shegong_bench").endswith(":5432/shegong_bench")


class _Stub(BaseHTTPRequestHandler):
    """Answers the intake path like the API (201 naming the source_ref) and anything else with 200."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == load.INTAKE_PATH:
            _Stub.seen.append({"key": self.headers["Idempotency-Key"], "ref": data["source_ref"]})
            status, answer = 201, {"tracking_no": "T-" + data["source_ref"], "source_ref": data["source_ref"]}
        else:
            status, answer = 200, {"status": "ok"}
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
@pytest.mark.parametrize("kind", ["intake", "baseline"])
def test_wrk_scripts_write_the_report_the_parser_reads(tmp_path: Path, kind: str) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Stub.seen = []
    try:
        lines = corpus.write_corpus(tmp_path / "corpus.txt", _places(), ["WAGE"], n=20)
        target = load.Target(httpd.server_address[1], "sg_x", tmp_path / "corpus.txt", lines)
        phase = load.run_wrk(
            target=target,
            kind=kind,
            name=kind,
            tag="t",
            duration=1,
            connections=2,
            threads=2,
            workdir=tmp_path,
        )
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert phase.requests > 0
    if kind == "baseline":
        assert set(phase.statuses) == {200}
        assert phase.acked == {}
        return
    assert set(phase.statuses) == {201}
    # every acknowledgement names its own reference; every request had a unique key equal to its reference
    assert all(number == "T-" + ref for ref, number in phase.acked.items())
    assert set(phase.acked) <= {s["ref"] for s in _Stub.seen}
    assert all(s["key"] == s["ref"] for s in _Stub.seen)
    assert len({s["ref"] for s in _Stub.seen}) == len(_Stub.seen)
    assert phase.samples
    assert all(0 <= line < len(lines) for _ref, line in phase.samples)
