"""Reliability drills (`shegong drill crash|backup`): they break things on purpose and check what held.

- `cluster`: a throw-away PostgreSQL cluster of the drill's own (initdb/pg_ctl), run as an unprivileged user.
- `crash`: appeals filed through the API while gunicorn workers, the master and PostgreSQL are killed.
- `checks`: the pure comparisons both drills end with (tested without a server).
- `backup`: backup and restore into an empty database, on SQLite and PostgreSQL.

Method and a recorded run: docs/security-drills.md.
"""


class DrillError(Exception):
    """The drill cannot run (a missing tool, a server that never came up); the message says why."""
