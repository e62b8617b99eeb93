"""Load clients: wrk with the Lua scripts of this package, or a Python fallback.

wrk runs in its own process with its own threads (C and LuaJIT): on a two-core machine it takes a small
share of the CPU the server needs. The fallback (threads over http.client) is for machines without wrk;
it spends far more CPU per request than wrk, on the same cores as the server, so its numbers understate
the server and the output says "fallback".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from django.utils.translation import gettext as _

from shegong.appeals.bench import corpus
from shegong.appeals.bench.results import Phase, parse_report, percentile
from shegong.appeals.bench.server import PROXY_HEADERS, BenchError

INTAKE_PATH = "/api/v1/appeals"
BASELINE_PATH = "/livez"
BASELINE_BODY = b'{"probe":"baseline"}'
SAMPLE_EVERY = 50  # the first and every 50th request of each client thread are kept for the replay check
WRK_TIMEOUT = "10s"  # an answer later than this counts as a timeout error


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def script(name: str) -> Path:
    """A Lua script shipped in this package (package data, so it is there in an installed wheel too)."""
    path = Path(str(resources.files("shegong.appeals.bench").joinpath(name)))
    if not path.is_file():
        raise BenchError(_("{name} is missing from the installed package.").format(name=name))
    return path


@dataclass(frozen=True)
class Target:
    port: int
    token: str
    corpus_path: Path
    corpus_lines: list[str]


def run_wrk(
    *,
    target: Target,
    kind: str,
    name: str,
    tag: str,
    duration: int,
    connections: int,
    threads: int,
    workdir: Path,
) -> Phase:
    """One wrk run; `kind` is "intake" or "baseline"."""
    wrk = wrk_binary()
    if wrk is None:
        raise BenchError(_("wrk is not installed (Debian: apt-get install wrk)."))
    report = workdir / f"{name}.report"
    report.unlink(missing_ok=True)
    env = {
        **os.environ,
        "SHEGONG_BENCH_REPORT": str(report),
        "SHEGONG_BENCH_TOKEN": target.token,
        "SHEGONG_BENCH_CORPUS": str(target.corpus_path),
        "SHEGONG_BENCH_TAG": tag,
        "SHEGONG_BENCH_SAMPLE_EVERY": str(SAMPLE_EVERY),
    }
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={WRK_TIMEOUT}",
        "-s",
        str(script(f"{kind}.lua")),
        f"http://127.0.0.1:{target.port}",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    (workdir / f"{name}.wrk.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0 or not report.exists():
        raise BenchError(
            _("wrk failed (exit code {code}):\n{output}").format(
                code=done.returncode, output=(done.stdout + done.stderr)[-2000:]
            )
        )
    return parse_report(report.read_text(encoding="utf-8"), name=name)


class _Tally:
    """What the fallback's threads share (appends and Counter updates under one lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.socket_errors = 0
        self.acked: dict[str, str] = {}
        self.samples: list[tuple[str, int]] = []
        self.failures: list[str] = []


def _client_loop(target: Target, kind: str, tag: str, thread_id: int, deadline: float, tally: _Tally) -> None:
    import http.client
    import random

    rng = random.Random(thread_id * 7919)  # noqa: S311 (load generation, not secrets)
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        ref = f"{tag}-{thread_id}-{n}"
        if kind == "intake":
            index = rng.randrange(len(target.corpus_lines))
            body = corpus.body(target.corpus_lines[index], ref).encode()
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {target.token}",
                "Idempotency-Key": ref,
                **PROXY_HEADERS,
            }
            path = INTAKE_PATH
        else:
            index, body, path = 0, BASELINE_BODY, BASELINE_PATH
            headers = {"Content-Type": "application/json", **PROXY_HEADERS}
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
            with tally.lock:
                tally.socket_errors += 1
            continue
        elapsed = (time.perf_counter() - started) * 1000
        with tally.lock:
            tally.latencies.append(elapsed)
            tally.statuses[response.status] += 1
            if kind == "intake" and (n == 1 or n % SAMPLE_EVERY == 0):
                tally.samples.append((ref, index))
            if response.status == 201 and kind == "intake":
                answer = json.loads(data)
                tally.acked[answer["source_ref"]] = answer["tracking_no"]
            elif not 200 <= response.status <= 299 and len(tally.failures) < 6:
                tally.failures.append(f"{response.status} {data[:300].decode(errors='replace')}")
    conn.close()


def run_python(*, target: Target, kind: str, name: str, tag: str, duration: int, connections: int) -> Phase:
    """The fallback: `connections` threads, each with one keep-alive connection, for `duration` s."""
    tally = _Tally()
    started = time.monotonic()
    deadline = started + duration
    workers = [
        threading.Thread(target=_client_loop, args=(target, kind, tag, i + 1, deadline, tally), daemon=True)
        for i in range(connections)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    lat = tally.latencies
    return Phase(
        name=name,
        requests=len(lat),
        duration_s=elapsed,
        statuses=dict(tally.statuses),
        socket_errors=tally.socket_errors,
        p50_ms=percentile(lat, 0.5),
        p90_ms=percentile(lat, 0.9),
        p99_ms=percentile(lat, 0.99),
        max_ms=max(lat, default=0.0),
        acked=tally.acked,
        samples=tally.samples,
        failures=tally.failures,
    )
