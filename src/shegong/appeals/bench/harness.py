"""The run itself: database, server, load, replay, checks; `run()` returns the result line."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from shegong.appeals.bench import corpus, load, server, verify
from shegong.appeals.bench.cpu import CpuWatch
from shegong.appeals.bench.results import Phase, check_integrity, result_line


@dataclass(frozen=True)
class Options:
    duration: int = 10
    warmup: int = 3
    connections: int = 32
    threads: int = 2
    workers: int = 2
    database: str = "shegong_bench"
    keep_db: bool = False
    client: str = "auto"  # auto, wrk or python


@dataclass
class _Run:
    """What one run needs while the server is up."""

    options: Options
    client: str
    target: load.Target
    nonce: str  # prefix of every reference of this run
    workdir: Path
    say: Callable[[str], None]

    def phase(self, kind: str, name: str, seconds: int) -> Phase:
        tag = f"{self.nonce}-{name[0]}"  # w(arm-up), b(aseline), m(ain)
        if self.client == "wrk":
            return load.run_wrk(
                target=self.target,
                kind=kind,
                name=name,
                tag=tag,
                duration=seconds,
                connections=self.options.connections,
                threads=self.options.threads,
                workdir=self.workdir,
            )
        return load.run_python(
            target=self.target,
            kind=kind,
            name=name,
            tag=tag,
            duration=seconds,
            connections=self.options.connections,
        )

    def report(self, phase: Phase) -> None:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(phase.statuses.items()))
        self.say(
            "  "
            + _(
                "{ok} ok in {s:.1f} s = {rps:.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                "errors {errors} ({statuses})"
            ).format(
                ok=phase.ok,
                s=phase.duration_s,
                rps=phase.rps,
                p50=phase.p50_ms,
                p99=phase.p99_ms,
                errors=phase.errors,
                statuses=statuses or "-",
            )
        )
        for failure in phase.failures[:3]:
            self.say("  " + _("not 2xx: {failure}").format(failure=failure[:300]))


def choose_client(requested: str, say: Callable[[str], None]) -> str:
    if requested == "auto":
        if load.wrk_binary():
            return "wrk"
        say(_("fallback: wrk is not installed; the Python client shares the CPU with the server"))
        return "python"
    if requested == "wrk" and not load.wrk_binary():
        raise server.BenchError(_("wrk is not installed (Debian: apt-get install wrk)."))
    if requested == "python":
        say(_("fallback: the Python client, as asked; it shares the CPU with the server"))
    return requested


def run(options: Options, say: Callable[[str], None]) -> str:
    """Run the benchmark, reporting progress through `say`; return the JSON result line."""
    name = server.check_database_name(options.database)
    client = choose_client(options.client, say)
    workdir = Path(tempfile.mkdtemp(prefix="shegong-bench-"))
    admin = server.server_url(os.environ.get("DATABASE_URL"))
    database_url = server.with_database(admin, name)
    log = workdir / "server.log"
    env = server.production_env(database_url=database_url, data_dir=workdir / "data", workers=options.workers)

    say(_("database: {name} (dropped and created again)").format(name=name))
    server.recreate_database(admin, name)
    say(_("preparing: migrations, calendar, demo divisions, a platform account with a token"))
    output = server.run_child(["-m", "shegong.appeals.bench.prepare"], env=env, log=log)
    prepared = json.loads(output.strip().splitlines()[-1])
    corpus_path = workdir / "corpus.txt"
    lines = corpus.write_corpus(
        corpus_path, [corpus.Place(**p) for p in prepared["places"]], prepared["categories"]
    )
    port = server.free_port()
    target = load.Target(port=port, token=prepared["token"], corpus_path=corpus_path, corpus_lines=lines)
    bench = _Run(options, client, target, secrets.token_hex(3), workdir, say)
    web = server.Server(env=env, port=port, log=log)
    say(_("starting: shegong serve on 127.0.0.1:{port}, {n} workers").format(port=port, n=options.workers))
    web.start()
    try:
        web.wait_ready()
        warmups, baseline, intake, cpu = _load(bench, web, database_url)
        replayed, problems = verify.replay(target, intake.samples, intake.acked)
        say(_("replayed {n} requests with their Idempotency-Key").format(n=replayed))
    finally:
        web.stop()

    for problem in problems:
        say(_("replay problem: {problem}").format(problem=problem))
    acked = {ref: number for phase in (*warmups, intake) for ref, number in phase.acked.items()}
    rows, keys = verify.stored(database_url, partner_id=prepared["partner_id"], ref_prefix=bench.nonce + "-")
    integrity = check_integrity(acked, rows, keys)
    say(
        _(
            "checked: {acked} acknowledged, {stored} stored, {lost} lost, {dups} duplicates, {unacked} "
            "stored but not acknowledged (in flight at the end), {unkeyed} without idempotency record"
        ).format(
            acked=integrity.acknowledged,
            stored=integrity.stored,
            lost=integrity.lost,
            dups=integrity.duplicates,
            unacked=integrity.unacknowledged,
            unkeyed=integrity.unkeyed,
        )
    )
    if options.keep_db:
        say(
            _("kept: database {name}; server log, corpus and wrk output in {path}").format(
                name=name, path=workdir
            )
        )
    else:
        server.drop_database(admin, name)
        shutil.rmtree(workdir, ignore_errors=True)
    extra: dict[str, Any] = {
        "client": "wrk" if client == "wrk" else "python-fallback",
        "connections": options.connections,
        "duration_s": options.duration,
        "workers": options.workers,
        "cpus": os.cpu_count(),
        "database": "postgresql",
        "replayed": replayed,
        "replay_failures": len(problems),
        **cpu,
    }
    other_errors = (
        sum(p.errors for p in warmups) + len(problems) + sum(p.acked_twice for p in (*warmups, intake))
    )
    return result_line(
        intake=intake, baseline=baseline, integrity=integrity, other_errors=other_errors, extra=extra
    )


def _load(
    bench: _Run, web: server.Server, database_url: str
) -> tuple[list[Phase], Phase, Phase, dict[str, float]]:
    """Warm-up, then the baseline, then intake (with the CPU accounting of the intake run)."""
    options, say = bench.options, bench.say
    warmups = []
    if options.warmup:
        say(_("warming up: {s} s of each endpoint").format(s=options.warmup))
        warmups = [
            bench.phase("baseline", "warmup-baseline", options.warmup),
            bench.phase("intake", "warmup-intake", options.warmup),
        ]
    say(_("baseline: POST /livez for {s} s").format(s=options.duration))
    watch = CpuWatch(web.worker_pids(), [])
    baseline = bench.phase("baseline", "baseline", options.duration)
    baseline_cpu = watch.stop()
    bench.report(baseline)
    say(_("intake: POST /api/v1/appeals for {s} s").format(s=options.duration))
    watch = CpuWatch(web.worker_pids(), server.backend_pids(database_url))
    intake = bench.phase("intake", "main", options.duration)
    cpu = watch.stop()
    bench.report(intake)
    # CPU per answer does not depend on what else the machine ran meanwhile, unlike requests per second
    cpu["baseline_server_cpu_ms"] = per_answer(baseline_cpu["server_cpu_s"], baseline.ok)
    cpu["server_cpu_ms"] = per_answer(cpu["server_cpu_s"], intake.ok)
    cpu["db_cpu_ms"] = per_answer(cpu["db_cpu_s"], intake.ok)
    say(
        _(
            "CPU seconds during intake: server workers {server}, their database backends {db}, client "
            "{client}, everything else {other} (machine {busy:.0%} busy)"
        ).format(
            server=cpu["server_cpu_s"],
            db=cpu["db_cpu_s"],
            client=cpu["client_cpu_s"],
            other=cpu["other_cpu_s"],
            busy=cpu["machine_busy"],
        )
    )
    say(
        _(
            "CPU per answer: intake {server} ms in the server and {db} ms in the database, baseline {base} ms"
        ).format(server=cpu["server_cpu_ms"], db=cpu["db_cpu_ms"], base=cpu["baseline_server_cpu_ms"])
    )
    return warmups, baseline, intake, cpu


def per_answer(cpu_s: float, answers: int) -> float:
    """Milliseconds of CPU per successful answer."""
    return round(cpu_s * 1000 / answers, 2) if answers else 0.0
