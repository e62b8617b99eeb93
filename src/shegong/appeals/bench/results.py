"""Reading the load clients' reports, and checking every acknowledged appeal against the database.

Pure functions over text and rows, so tests exercise them without a server.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Phase:
    """One load run (warm-up, baseline or intake) as its client reported it."""

    name: str
    requests: int  # answers received (any status)
    duration_s: float
    statuses: dict[int, int]
    socket_errors: int  # connect, read, write errors and timeouts: requests that got no answer
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    acked: dict[str, str] = field(default_factory=dict)  # source_ref → tracking number of every 201
    acked_twice: int = 0  # a reference acknowledged more than once (the client sent it twice: a bug)
    samples: list[tuple[str, int]] = field(default_factory=list)  # (source_ref, corpus line) to replay
    failures: list[str] = field(default_factory=list)  # the first non-2xx answers, "status body"

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status <= 299)

    @property
    def errors(self) -> int:
        """Answers that were not 2xx, plus requests that got no answer at all."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status <= 299) + self.socket_errors

    @property
    def rps(self) -> float:
        """Successful answers per second: the work the server completed, not what it refused."""
        return self.ok / self.duration_s if self.duration_s > 0 else 0.0


def parse_report(text: str, *, name: str) -> Phase:
    """Read the file report.lua writes (see its header for the line format)."""
    summary: dict[str, Any] | None = None
    statuses: Counter[int] = Counter()
    acked: dict[str, str] = {}
    acked_twice = 0
    samples: list[tuple[str, int]] = []
    failures: list[str] = []
    for raw in text.splitlines():
        kind, _sep, rest = raw.partition(" ")
        if kind == "summary":
            summary = json.loads(rest)
        elif kind == "status":
            status, count = rest.split()
            statuses[int(status)] += int(count)
        elif kind == "ack":
            ref, number = rest.split()
            acked_twice += ref in acked
            acked[ref] = number
        elif kind == "sample":
            ref, line = rest.split()
            samples.append((ref, int(line) - 1))  # Lua counts from 1
        elif kind == "failure":
            failures.append(rest)
        elif raw.strip():
            raise ValueError(f"unexpected line in the {name} report: {raw[:80]!r}")
    if summary is None:
        raise ValueError(f"the {name} report has no summary line")
    socket_errors = sum(int(summary[k]) for k in ("connect", "read", "write", "timeout"))
    return Phase(
        name=name,
        requests=int(summary["requests"]),
        duration_s=int(summary["duration_us"]) / 1e6,
        statuses=dict(statuses),
        socket_errors=socket_errors,
        p50_ms=int(summary["p50_us"]) / 1000,
        p90_ms=int(summary["p90_us"]) / 1000,
        p99_ms=int(summary["p99_us"]) / 1000,
        max_ms=int(summary["max_us"]) / 1000,
        acked=acked,
        acked_twice=acked_twice,
        samples=samples,
        failures=failures,
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of unsorted values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@dataclass(frozen=True)
class Integrity:
    """What the database holds against what the clients were told.

    lost: acknowledged appeals (201 with a tracking number) missing, or stored under another number;
    duplicates: appeal rows sharing a source_ref, plus idempotency records sharing a key, beyond the
    first; unacknowledged: stored appeals no client heard about (in flight when the client stopped:
    expected, harmless); unkeyed: stored appeals without an idempotency record (a retry would create a
    second one)."""

    acknowledged: int
    stored: int
    lost: int
    duplicates: int
    unacknowledged: int
    unkeyed: int


def check_integrity(
    acked: Mapping[str, str], rows: Iterable[tuple[str, str]], keys: Iterable[tuple[str, str | None]]
) -> Integrity:
    """`rows`: (source_ref, tracking_no) of every appeal the benchmark's account filed; `keys`: (key,
    tracking_no in its stored response) of that account's idempotency records."""
    rows = list(rows)
    keys = list(keys)
    stored = set(rows)
    per_ref = Counter(ref for ref, _number in rows)
    per_key = Counter(key for key, _number in keys)
    keyed_numbers = {number for _key, number in keys if number}
    lost = sum((ref, number) not in stored for ref, number in acked.items())
    return Integrity(
        acknowledged=len(acked),
        stored=len(rows),
        lost=lost,
        duplicates=sum(n - 1 for n in per_ref.values()) + sum(n - 1 for n in per_key.values()),
        unacknowledged=sum(ref not in acked for ref in per_ref),
        unkeyed=sum(number not in keyed_numbers for _ref, number in rows),
    )


def result_line(
    *,
    intake: Phase,
    baseline: Phase,
    integrity: Integrity,
    other_errors: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The benchmark's last line: one JSON object, the agreed keys first."""
    ratio = intake.rps / baseline.rps if baseline.rps else 0.0
    result: dict[str, Any] = {
        "bench": "intake",
        "rps": round(intake.rps, 1),
        "p50_ms": round(intake.p50_ms, 2),
        "p99_ms": round(intake.p99_ms, 2),
        "baseline_rps": round(baseline.rps, 1),
        "ratio": round(ratio, 3),
        "errors": intake.errors + baseline.errors + other_errors,
        "lost": integrity.lost,
        "duplicates": integrity.duplicates,
        "acknowledged": integrity.acknowledged,
        "stored": integrity.stored,
        "unacknowledged": integrity.unacknowledged,
        "unkeyed": integrity.unkeyed,
        "baseline_p99_ms": round(baseline.p99_ms, 2),
        "intake_p90_ms": round(intake.p90_ms, 2),
        **(extra or {}),
    }
    return json.dumps(result, ensure_ascii=False)
