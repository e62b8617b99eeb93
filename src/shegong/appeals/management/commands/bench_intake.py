"""`bench_intake` (`shegong bench intake`): the appeal intake API under load, served as in production.

A fresh PostgreSQL database (--database, dropped and recreated), `shegong serve` with --workers gunicorn
workers in a child process, wrk from a separate process (Python fallback when wrk is missing): first the
framework baseline (POST /livez), then realistic appeals posted by a platform account through
POST /api/v1/appeals with an Idempotency-Key each. A sample is replayed, then the database is checked
against every acknowledgement. The harness is shegong.appeals.bench; method and numbers: bench/README.md.
The last line printed is one JSON object: {"bench": "intake", "rps": …, "p50_ms": …, "p99_ms": …,
"baseline_rps": …, "ratio": …, "errors": …, "lost": …, "duplicates": …, …}
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shegong.appeals.bench.harness import Options, run
from shegong.appeals.bench.server import BenchError

_DEFAULTS = Options()


class Command(BaseCommand):
    help = _(
        "Load-test appeal intake on a fresh PostgreSQL database against the framework baseline; "
        "the database named by --database is dropped and recreated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--duration", type=int, default=_DEFAULTS.duration, help="seconds of each run")
        parser.add_argument("--warmup", type=int, default=_DEFAULTS.warmup, help="seconds of warm-up")
        parser.add_argument("--connections", type=int, default=_DEFAULTS.connections)
        parser.add_argument("--threads", type=int, default=_DEFAULTS.threads, help="wrk threads")
        parser.add_argument("--workers", type=int, default=_DEFAULTS.workers, help="gunicorn workers")
        parser.add_argument("--database", default=_DEFAULTS.database, help="dropped and recreated")
        parser.add_argument("--keep-db", action="store_true", help="keep the database and the logs")
        parser.add_argument("--client", choices=["auto", "wrk", "python"], default=_DEFAULTS.client)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("duration", "connections", "threads", "workers"):
            if options[name] < 1:
                raise CommandError(_("--{name} must be at least 1.").format(name=name))
        if options["connections"] < options["threads"]:
            raise CommandError(_("--connections must be at least --threads (each thread keeps its own)."))
        if options["warmup"] < 0:
            raise CommandError(_("--warmup cannot be negative."))
        chosen = Options(**{k: options[k] for k in Options.__dataclass_fields__})
        try:
            line = run(chosen, self._say)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(line)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
