"""The crash drill: appeals filed through the API while the server and the database are killed.

1. A PostgreSQL cluster of its own (`cluster.Cluster`: initdb, fsync/synchronous_commit/full_page_writes
   on), a database migrated and prepared like the intake benchmark's (shegong.appeals.bench.prepare: the
   demo divisions, a platform account with an API token).
2. The production server as `shegong serve` runs it (bench.server.Server: gunicorn, DEBUG off, generated
   SECRET_KEY and SHEGONG_FIELD_KEY, --workers sync workers).
3. --clients threads file appeals with POST /api/v1/appeals, each appeal with a unique Idempotency-Key and
   a unique marker in its text (and as source_ref). A request that gets no 2xx answer — connection refused
   or reset, a timeout, a 5xx — is sent again with the same key and the same body until it is answered or
   the drain deadline passes. A 4xx is an answer (the appeal was refused) and is never retried.
4. Meanwhile a chaos thread `kill -9`s gunicorn workers (the master starts new ones), `kill -9`s the master
   itself (its orphaned workers too, as systemd would) and starts the server again, and crashes PostgreSQL
   (`pg_ctl restart -m immediate`: recovery from the WAL on the next start).
5. After --seconds no new appeals start; the clients drain; every acknowledged request is sent once more
   (the replay must answer the same tracking number and file nothing). The server is stopped, PostgreSQL
   is crashed once more, and the database is checked (checks.verify_crash): every acknowledged appeal
   exists exactly once, under the tracking number the client got, with its submit timeline entry and its
   audit row; no appeal exists that no client sent; the idempotency records answer the same numbers.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.utils.translation import gettext as _
from psycopg import sql

from shegong.appeals.bench import corpus
from shegong.appeals.bench import server as bench_server
from shegong.appeals.bench.load import INTAKE_PATH
from shegong.ops.drills import DrillError
from shegong.ops.drills.checks import CrashVerdict, Sent, StoredAppeal, marker_text, verify_crash
from shegong.ops.drills.cluster import DURABLE_SETTINGS, Cluster, find_bin_dir, server_user

DATABASE = "shegong_drill"
REQUEST_TIMEOUT = 20.0  # seconds; a slower answer counts as lost in transit and is retried
WORKER_KILL_EVERY = 4.0  # seconds between worker kills
DRAIN_SECONDS = 120.0  # after the load window, how long unanswered requests are retried


_WARM_CLASSIFIER = (
    "from shegong.ops.bootstrap import setup_django; setup_django(); "
    "from shegong.smart.classifier import live_model; live_model()"
)


@dataclass(frozen=True)
class Options:
    clients: int = 8
    seconds: int = 60
    workers: int = 2
    keep: bool = False
    os_user: str = ""
    seed: int | None = None


@dataclass
class _Tally:
    """What the client threads share (under `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: list[Sent] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)  # why a request was sent again
    unfinished: int = 0


@dataclass
class _Chaos:
    worker_kills: int = 0
    master_kills: int = 0
    orphans_killed: int = 0  # workers of a killed master, killed with it
    pg_restarts: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return self.worker_kills + self.master_kills + self.orphans_killed


def schedule(seconds: int, rng: random.Random) -> list[tuple[float, str]]:
    """When to do what: master kills and PostgreSQL crashes spread over the window (at least one each, one
    more per 30 s), worker kills every few seconds in between; nothing in the last 2 s."""
    heavy = max(1, seconds // 30)
    events: list[tuple[float, str]] = []
    for i in range(heavy):
        events.append((seconds * (0.25 + 0.5 * i / heavy) + rng.uniform(-1, 1), "master"))
        events.append((seconds * (0.5 + 0.45 * i / heavy) + rng.uniform(-1, 1), "postgres"))
    t = 2.0 + rng.uniform(0, 1)
    while t < seconds - 2:
        events.append((t, "workers" if rng.random() < 0.3 else "worker"))
        t += WORKER_KILL_EVERY * rng.uniform(0.6, 1.4)
    return sorted((max(1.0, min(at, seconds - 2.0)), kind) for at, kind in events)


class _Drill:
    def __init__(self, options: Options, say: Callable[[str], None]) -> None:
        self.options, self.say = options, say
        self.rng = random.Random(options.seed)  # noqa: S311 (chaos timing, not secrets)
        self.nonce = secrets.token_hex(3)
        self.root = Path(tempfile.mkdtemp(prefix="shegong-drill-crash-"))
        self.root.chmod(0o711)  # the cluster's user must reach its folder inside
        self.cluster: Cluster | None = None
        self.web: bench_server.Server | None = None
        self.tally = _Tally()
        self.chaos = _Chaos()
        self.stop_clients = threading.Event()
        self.web_lock = threading.Lock()  # the chaos thread swaps the server while the main thread reads it
        self.servers: list[bench_server.Server] = []
        self.closed = False
        self.port = 0
        self.bodies: dict[str, bytes] = {}  # marker → the body sent (for the replay)

    # --- set-up ----------------------------------------------------------------------------------------

    def start_cluster(self) -> str:
        bin_dir = find_bin_dir()
        user = server_user(self.options.os_user)
        self.cluster = Cluster(
            folder=self.root / "pg", port=bench_server.free_port(), os_user=user, bin_dir=bin_dir
        )
        self.say(
            _("PostgreSQL: a cluster of its own with {bin} in {path}, port {port}, run as {user}").format(
                bin=bin_dir,
                path=self.cluster.data,
                port=self.cluster.port,
                user=user or _("the current user"),
            )
        )
        self.cluster.create()
        self.cluster.start()
        admin = self.cluster.url("postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            shown = {
                name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                for name in DURABLE_SETTINGS
            }
        if shown != DURABLE_SETTINGS:
            raise DrillError(
                _("The drill's cluster does not run with {want}: {shown}").format(
                    want=DURABLE_SETTINGS, shown=shown
                )
            )
        self.say(
            _("PostgreSQL settings: {settings}").format(
                settings=", ".join(f"{k} = {v}" for k, v in shown.items())
            )
        )
        return self.cluster.url(DATABASE)

    # --- the server ------------------------------------------------------------------------------------

    def start_web(self, env: dict[str, str], port: int, log: Path) -> None:
        web = bench_server.Server(env=env, port=port, log=log)
        with self.web_lock:  # registered before it runs: the clean-up stops every server ever started
            if self.closed:
                raise DrillError(_("The drill is stopping."))
            web.start()
            self.servers.append(web)
        try:
            web.wait_ready(timeout=180)
        except bench_server.BenchError as exc:
            web.stop(timeout=5)
            raise DrillError(str(exc)) from exc
        with self.web_lock:
            self.web = web

    def kill_workers(self, *, everyone: bool) -> None:
        pids = self.web.worker_pids() if self.web is not None else []
        if not pids:
            return
        chosen = pids if everyone else [self.rng.choice(pids)]
        for pid in chosen:
            if _kill(pid):
                self.chaos.worker_kills += 1
        self.chaos.log.append(f"kill -9 worker {' '.join(map(str, chosen))}")

    def kill_master(self, env: dict[str, str], port: int, log: Path) -> None:
        """kill -9 the master, then its orphaned workers (what systemd's cgroup clean-up does), then start
        the server again as its supervisor would."""
        if self.web is None or self.web.proc is None:
            return
        master = self.web.proc.pid
        orphans = self.web.worker_pids()
        if _kill(master):
            self.chaos.master_kills += 1
        self.web.proc.wait()
        for pid in orphans:
            if _kill(pid):
                self.chaos.orphans_killed += 1
        with self.web_lock:
            self.web = None
        started = time.monotonic()
        self.start_web(env, port, log)
        took = time.monotonic() - started
        self.chaos.log.append(f"kill -9 master {master} (+{len(orphans)} workers), restarted in {took:.1f} s")

    def crash_postgres(self) -> None:
        if self.cluster is None:
            return
        started = time.monotonic()
        self.cluster.crash_restart()
        self.chaos.pg_restarts += 1
        self.chaos.log.append(f"pg_ctl restart -m immediate ({time.monotonic() - started:.1f} s)")

    def chaos_loop(
        self, env: dict[str, str], port: int, log: Path, started: float, errors: list[str]
    ) -> None:
        try:
            for at, kind in schedule(self.options.seconds, self.rng):
                delay = started + at - time.monotonic()
                if delay > 0 and self.stop_clients.wait(delay):
                    return
                at_s, first = time.monotonic() - started, len(self.chaos.log)
                if kind in {"worker", "workers"} and at_s - at > WORKER_KILL_EVERY / 2:
                    continue  # a slow restart ran over this kill's time: no burst of kills to catch up
                if kind == "worker":
                    self.kill_workers(everyone=False)
                elif kind == "workers":
                    self.kill_workers(everyone=True)
                elif kind == "master":
                    self.kill_master(env, port, log)
                else:
                    self.crash_postgres()
                self.chaos.log[first:] = [f"{at_s:5.1f} s  {line}" for line in self.chaos.log[first:]]
        except (DrillError, OSError) as exc:
            errors.append(str(exc))
            self.stop_clients.set()

    # --- the clients -----------------------------------------------------------------------------------

    def client(self, number: int, target: _Target, new_until: float, give_up_at: float) -> None:
        rng = random.Random(f"{self.nonce}-{number}")  # noqa: S311 (load generation, not secrets)
        n = 0
        while time.monotonic() < new_until and not self.stop_clients.is_set():
            n += 1
            marker = f"D{self.nonce}-{number}-{n}"
            payload = json.loads(rng.choice(target.lines) + "}")
            payload["text"] = f"{payload['text']}{marker_text(marker)}"
            payload["source_ref"] = marker
            request = Sent(marker=marker, key=uuid.uuid4().hex)
            body = json.dumps(payload, ensure_ascii=False).encode()
            with self.tally.lock:
                self.tally.sent.append(request)
                self.bodies[marker] = body
            if not self.deliver(request, body, target.token, give_up_at):
                with self.tally.lock:
                    self.tally.unfinished += 1
                return

    def deliver(self, request: Sent, body: bytes, token: str, give_up_at: float) -> bool:
        """Send until answered; True when answered (2xx or 4xx), False when the drill gave up."""
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": request.key,
            **bench_server.PROXY_HEADERS,
        }
        while True:
            if time.monotonic() > give_up_at or self.stop_clients.is_set():
                return False
            request.attempts += 1
            if request.attempts > 1:
                time.sleep(min(1.0, 0.05 * 2 ** min(request.attempts, 6)) * random.uniform(0.5, 1.0))  # noqa: S311
            reason = ""
            try:
                status, data = _post(self.port, body, headers)
            except TimeoutError:
                reason = "timeout"
            except ConnectionRefusedError:
                reason = "refused"
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                reason = "reset"
            except (OSError, http.client.HTTPException) as exc:
                reason = type(exc).__name__
            else:
                if 200 <= status <= 299:
                    answer = json.loads(data)
                    request.tracking_no = str(answer["tracking_no"])
                    if answer.get("source_ref") != request.marker:
                        request.refused = f"{status} for another source_ref {answer.get('source_ref')!r}"
                    return True
                if status < 500:
                    request.refused = f"{status} {data[:200].decode(errors='replace')}"
                    return True
                reason = str(status)
            with self.tally.lock:
                self.tally.retries[reason] += 1

    # --- the end -------------------------------------------------------------------------------------------

    def replay(self, token: str) -> tuple[int, list[str]]:
        """Every acknowledged request once more, same key and body: the same tracking number comes back."""
        problems = []
        acked = [s for s in self.tally.sent if s.tracking_no and not s.refused]
        for request in acked:
            again = Sent(marker=request.marker, key=request.key)
            if not self.deliver(again, self.bodies[request.marker], token, time.monotonic() + 60):
                problems.append(f"{request.marker}: no answer to the replay")
            elif again.tracking_no != request.tracking_no:
                problems.append(
                    f"{request.marker}: replay answered {again.tracking_no or again.refused}, "
                    f"first {request.tracking_no}"
                )
        return len(acked), problems

    def cleanup(self) -> None:
        self.stop_clients.set()
        with self.web_lock:
            self.closed = True
            servers, self.web = list(self.servers), None
        for web in servers:
            web.stop(timeout=20)
            if web.proc is not None:
                _killpg(web.proc.pid)  # workers left behind by a master killed with SIGKILL
        if self.cluster is not None:
            try:
                self.cluster.stop()
            except DrillError as exc:
                self.say(_("could not stop the drill's PostgreSQL: {error}").format(error=exc))
        if self.options.keep:
            self.say(
                _("kept: the cluster in {path} (start it: pg_ctl start -D {data}), server log {log}").format(
                    path=self.root / "pg", data=self.root / "pg" / "data", log=self.root / "server.log"
                )
            )
        else:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class _Target:
    token: str
    lines: list[str]


def _post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("POST", INTAKE_PATH, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _killpg(pgid: int) -> None:
    """SIGKILL to what is left of a server's process group: only processes of that group that are still
    `shegong serve` (a finished group's number may have been reused by then)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError):
            continue
        ours = b"shegong.cli serve" in cmdline or b"[shegong]" in cmdline  # gunicorn's title, if it sets one
        if int(fields[2]) == pgid and ours:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(int(stat.parent.name), signal.SIGKILL)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl+C, so the clean-up runs."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (a test calling run() from a worker thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stored(database_url: str, partner_id: int) -> dict[str, Any]:
    """What the database holds for the drill's account (read with psycopg, not the app's ORM)."""
    from shegong.appeals.models import Appeal, AppealEvent
    from shegong.core.models import AuditEvent, IdempotencyKey

    with psycopg.connect(database_url) as conn:
        appeals = [
            StoredAppeal(*row)
            for row in conn.execute(
                sql.SQL("SELECT id, tracking_no, source_ref, text FROM {} WHERE filed_by_id = %s").format(
                    sql.Identifier(Appeal._meta.db_table)
                ),
                [partner_id],
            )
        ]
        events = dict(
            conn.execute(
                sql.SQL(
                    "SELECT appeal_id, count(*) FROM {} WHERE action = 'submit' GROUP BY appeal_id"
                ).format(sql.Identifier(AppealEvent._meta.db_table))
            ).fetchall()
        )
        audits = {
            int(target): n
            for target, n in conn.execute(
                sql.SQL(
                    "SELECT target_id, count(*) FROM {} "
                    "WHERE action = %s AND target_type = %s GROUP BY target_id"
                ).format(sql.Identifier(AuditEvent._meta.db_table)),
                ["appeals.appeal.submitted", Appeal._meta.label_lower],
            )
        }
        keys = dict(
            conn.execute(
                sql.SQL("SELECT key, response->>'tracking_no' FROM {} WHERE scope = %s").format(
                    sql.Identifier(IdempotencyKey._meta.db_table)
                ),
                [f"appeals.create:user:{partner_id}"],
            ).fetchall()
        )
    return {"appeals": appeals, "submit_events": events, "audit_rows": audits, "idempotency": keys}


def run(options: Options, say: Callable[[str], None]) -> tuple[str, bool]:
    """Run the drill; return the JSON result line and whether everything held."""
    began = time.monotonic()
    drill = _Drill(options, say)
    try:
        with _sigterm_as_interrupt():
            return _run(drill, began)
    finally:
        drill.cleanup()


def _run(drill: _Drill, began: float) -> tuple[str, bool]:
    options, say = drill.options, drill.say
    database_url = drill.start_cluster()
    log = drill.root / "server.log"
    env = bench_server.production_env(
        database_url=database_url, data_dir=drill.root / "app", workers=options.workers
    )
    say(_("preparing: migrations, demo divisions, a platform account with an API token"))
    try:
        output = bench_server.run_child(["-m", "shegong.appeals.bench.prepare"], env=env, log=log)
    except bench_server.BenchError as exc:
        raise DrillError(str(exc)) from exc
    prepared = json.loads(output.strip().splitlines()[-1])
    # Without a cached model each new worker trains the classifier on its first filing (seconds of CPU on
    # a small machine); build the cache once, as the first filing of a real installation would.
    say(_("preparing: the classifier's cached model in the data folder"))
    try:
        bench_server.run_child(["-c", _WARM_CLASSIFIER], env=env, log=log)
    except bench_server.BenchError as exc:
        raise DrillError(str(exc)) from exc
    lines = corpus.write_corpus(
        drill.root / "corpus.txt",
        [corpus.Place(**p) for p in prepared["places"]],
        prepared["categories"],
        n=500,
    )
    target = _Target(token=prepared["token"], lines=lines)
    drill.port = bench_server.free_port()
    say(
        _("starting: shegong serve on 127.0.0.1:{port}, {n} workers (production settings)").format(
            port=drill.port, n=options.workers
        )
    )
    drill.start_web(env, drill.port, log)

    say(
        _(
            "load: {clients} clients file appeals for {s} s, each with its own Idempotency-Key, retrying "
            "every unanswered request with the same key; meanwhile workers, the master and PostgreSQL are "
            "killed"
        ).format(clients=options.clients, s=options.seconds)
    )
    started = time.monotonic()
    new_until = started + options.seconds
    give_up_at = new_until + DRAIN_SECONDS
    chaos_errors: list[str] = []
    chaos = threading.Thread(
        target=drill.chaos_loop, args=(env, drill.port, log, started, chaos_errors), daemon=True
    )
    clients = [
        threading.Thread(target=drill.client, args=(i + 1, target, new_until, give_up_at), daemon=True)
        for i in range(options.clients)
    ]
    chaos.start()
    for thread in clients:
        thread.start()
    chaos.join()
    if chaos_errors:
        raise DrillError(_("The drill could not go on: {error}").format(error=chaos_errors[0]))
    for line in drill.chaos.log:
        say("  " + line)
    for thread in clients:
        thread.join()
    tally = drill.tally
    say(
        _(
            "drained: {sent} appeals sent, {retries} requests sent again ({reasons}), "
            "{unfinished} never answered"
        ).format(
            sent=len(tally.sent),
            retries=sum(tally.retries.values()),
            reasons=", ".join(f"{k}: {v}" for k, v in tally.retries.most_common()) or "-",
            unfinished=tally.unfinished,
        )
    )

    replayed, replay_problems = drill.replay(target.token)
    say(
        _("replayed {n} acknowledged requests with their Idempotency-Key: {bad} answered differently").format(
            n=replayed, bad=len(replay_problems)
        )
    )
    for problem in replay_problems[:10]:
        say("  " + problem)

    if drill.web is not None:
        drill.web.stop()
        drill.web = None
    drill.crash_postgres()
    say(_("stopped the server and crashed PostgreSQL once more; checking what the recovered database holds"))
    verdict = verify_crash(tally.sent, **stored(database_url, prepared["partner_id"]))
    recovered = drill.cluster.recoveries() if drill.cluster else 0
    _report(say, verdict, recovered)
    refused = sum(1 for s in tally.sent if s.refused)
    for request in [s for s in tally.sent if s.refused][:5]:
        say("  " + _("refused: {marker}: {answer}").format(marker=request.marker, answer=request.refused))
    result = {
        "drill": "crash",
        "acknowledged": verdict.acknowledged,
        "lost": verdict.lost,
        "duplicates": verdict.duplicates,
        "kills": drill.chaos.kills,
        "pg_restarts": drill.chaos.pg_restarts,
        "orphans": verdict.orphans,
        "retries": sum(tally.retries.values()),
        "seconds": options.seconds,
        "mismatches": verdict.mismatches,
        "unacknowledged": verdict.unacknowledged,
        "unfinished": tally.unfinished,
        "refused": refused,
        "replayed": replayed,
        "replay_mismatches": len(replay_problems),
        "stored": verdict.stored,
        "worker_kills": drill.chaos.worker_kills,
        "master_kills": drill.chaos.master_kills,
        "pg_recoveries": recovered,
        "retry_reasons": dict(tally.retries.most_common()),
        "clients": options.clients,
        "workers": options.workers,
        "total_s": round(time.monotonic() - began, 1),
    }
    ok = not (verdict.failed or tally.unfinished or refused or replay_problems)
    return json.dumps(result, ensure_ascii=False), ok


def _report(say: Callable[[str], None], verdict: CrashVerdict, recovered: int) -> None:
    say(_("PostgreSQL recovered from its WAL {n} times (server log)").format(n=recovered))
    say(
        _(
            "checked: {acked} acknowledged, {stored} stored; lost {lost}, duplicates {dups}, "
            "orphans {orphans}, stored but unanswered {unacked}, other mismatches {mismatches}"
        ).format(
            acked=verdict.acknowledged,
            stored=verdict.stored,
            lost=verdict.lost,
            dups=verdict.duplicates,
            orphans=verdict.orphans,
            unacked=verdict.unacknowledged,
            mismatches=verdict.mismatches,
        )
    )
    if not verdict.failed:
        say(
            _(
                "held: every acknowledged appeal exists exactly once under the number its client got, with "
                "its timeline entry, its audit row and its idempotency record"
            )
        )
    for problem in verdict.problems:
        say("  " + problem)
