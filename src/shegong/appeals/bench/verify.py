"""After the load: replay a sample of requests (idempotency), then read what the database holds."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import psycopg
from psycopg import sql

from shegong.appeals.bench import corpus
from shegong.appeals.bench.load import INTAKE_PATH, Target
from shegong.appeals.bench.server import post

REPLAYS = 20


def _post_appeal(target: Target, ref: str, body: str) -> tuple[int, dict[str, object]]:
    status, data = post(
        target.port,
        INTAKE_PATH,
        body.encode(),
        {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {target.token}",
            "Idempotency-Key": ref,
        },
    )
    try:
        answer = json.loads(data)
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


def replay(
    target: Target, samples: Sequence[tuple[str, int]], acked: Mapping[str, str]
) -> tuple[int, list[str]]:
    """Send acknowledged requests again with the same key and body: each must answer with the tracking
    number it got the first time (and file nothing). Then reuse one key with another text: that must be
    refused (422). Returns (requests sent, problems)."""
    chosen = [(ref, line) for ref, line in samples if ref in acked][:REPLAYS]
    problems = []
    for ref, line in chosen:
        status, answer = _post_appeal(target, ref, corpus.body(target.corpus_lines[line], ref))
        if status != 201 or answer.get("tracking_no") != acked[ref]:
            problems.append(f"replay of {ref}: {status} {answer.get('tracking_no')} (first: {acked[ref]})")
    if not chosen:
        return 0, problems
    ref, line = chosen[0]
    altered = target.corpus_lines[line].replace('"text":"', '"text":"补充：', 1)
    status, _answer = _post_appeal(target, ref, corpus.body(altered, ref))
    if status != 422:
        problems.append(f"{ref} with another text: {status}, expected 422 (idempotency_key_reused)")
    return len(chosen) + 1, problems


def stored(
    database_url: str, *, partner_id: int, ref_prefix: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    """(source_ref, tracking_no) of the appeals the partner filed in this run, and (key, tracking_no of
    the stored answer) of its idempotency records in this run (keys are the references)."""
    from shegong.appeals.models import Appeal
    from shegong.core.models import IdempotencyKey

    like = ref_prefix.replace("%", r"\%").replace("_", r"\_") + "%"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT source_ref, tracking_no FROM {} WHERE filed_by_id = %s AND source_ref LIKE %s"
            ).format(sql.Identifier(Appeal._meta.db_table)),
            (partner_id, like),
        ).fetchall()
        keys = conn.execute(
            sql.SQL("SELECT key, response->>'tracking_no' FROM {} WHERE key LIKE %s").format(
                sql.Identifier(IdempotencyKey._meta.db_table)
            ),
            (like,),
        ).fetchall()
    return [(r[0], r[1]) for r in rows], [(k[0], k[1]) for k in keys]
