"""Where a filed appeal's CPU goes: a sampling profile of POST /api/v1/appeals in one process.

Run it on a database kept by `shegong bench intake --keep-db` (it files appeals there as the benchmark's
platform account, through Django's test client: the same middleware, API and services as under gunicorn,
without the HTTP server):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shegong_bench DATABASE_CONN_MAX_AGE=60 \\
        python -m shegong.appeals.bench.hotpath [--requests 600]

A SIGPROF timer samples the stack while only CPU time passes (waiting for PostgreSQL is not counted), so
unlike cProfile the numbers are not inflated by the profiler itself. Each line is the share of the samples
whose stack held that function (inclusive), and that share of the measured CPU time per request;
framework code is grouped into a few buckets. The statement list is one request's SQL.
"""

from __future__ import annotations

import argparse
import random
import signal
import time
from collections import Counter
from types import FrameType
from typing import Any

# (path fragment, bucket): framework frames counted once per sample under a readable name
_BUCKETS = (
    ("django/db/models/sql/", "(Django ORM: building and compiling SQL)"),
    ("psycopg/", "(psycopg: sending statements, reading rows)"),
    ("django/db/models/base.py", "(Django: model init, save, full_clean)"),
    ("django/db/transaction.py", "(Django: atomic blocks, commit, on-commit hooks)"),
    ("ninja/", "(django-ninja: routing, auth, parsing, rendering)"),
    ("pydantic", "(pydantic: validating the body)"),
    ("django/core/handlers/", "(Django: request handling and middleware chain)"),
)


class Sampler:
    def __init__(self) -> None:
        self.samples = 0
        self.inclusive: Counter[str] = Counter()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.samples += 1
        seen: set[str] = set()
        while frame is not None:
            name = self._name(frame)
            if name and name not in seen:
                seen.add(name)
                self.inclusive[name] += 1
            frame = frame.f_back

    @staticmethod
    def _name(frame: FrameType) -> str:
        path = frame.f_code.co_filename
        if "/shegong/" in path and "/bench/" not in path:
            return f"{path.rsplit('/shegong/', 1)[1]}:{frame.f_code.co_name}"
        for fragment, bucket in _BUCKETS:
            if fragment in path:
                return bucket
        return ""


def _client() -> tuple[Any, dict[str, str], list[str]]:
    from django.test import Client

    from shegong.accounts.models import User
    from shegong.accounts.services import api_token_create
    from shegong.appeals.bench import corpus
    from shegong.appeals.bench.prepare import PARTNER_USERNAME, places_and_categories

    partner = User.objects.get(username=PARTNER_USERNAME)
    _token, raw = api_token_create(user=partner, name="hotpath profile", actor=None)
    places, categories = places_and_categories()
    rng = random.Random(5)  # noqa: S311 (synthetic data)
    lines = [corpus.corpus_line(corpus.appeal_payload(rng, places, categories)) for _ in range(500)]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_X_FORWARDED_PROTO": "https"}
    return Client(), headers, lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from shegong.ops.bootstrap import setup_django

    setup_django()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from shegong.appeals.bench import corpus

    client, headers, lines = _client()
    tag = f"hp{random.randrange(10**6)}"  # noqa: S311 (a label)

    def post(i: int) -> None:
        ref = f"{tag}-{i}"
        body = corpus.body(lines[i % len(lines)], ref)
        response = client.post(
            "/api/v1/appeals", data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=ref, **headers
        )
        if response.status_code != 201:
            raise SystemExit(
                f"POST /api/v1/appeals answered {response.status_code}: {response.content[:300]!r}"
            )

    for i in range(30):  # warm-up: imports, connection, caches
        post(i)
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        post(30)
    statements = [q["sql"] for q in captured.captured_queries]  # read now: later requests reset the log
    sampler = Sampler()
    signal.signal(signal.SIGPROF, sampler)
    started = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    for i in range(31, 31 + args.requests):
        post(i)
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    per_request = (time.process_time() - started) * 1000 / args.requests
    print(
        f"{args.requests} appeals, {per_request:.2f} ms CPU each in this process, {sampler.samples} samples"
    )
    for name, count in sampler.inclusive.most_common(args.top):
        share = count / max(1, sampler.samples)
        print(f"{share:6.1%} {share * per_request:6.2f} ms  {name}")
    print(f"{len(statements)} SQL statements in one request (and a SELECT 1 health check per request):")
    for sql in statements:
        print("  " + sql[:100])


if __name__ == "__main__":
    main()
