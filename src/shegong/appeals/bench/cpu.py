"""Where the CPU went during a run (Linux /proc): the server's workers, the load client, the machine.

On a two-core machine the load client, gunicorn and PostgreSQL share the cores; these numbers show
whether the server was short of CPU and who else used it.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / _TICKS


def client_cpu_s() -> float:
    """CPU seconds of this process (the Python fallback client runs in it) and of its finished children
    (the wrk runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0, 0
    values = [int(v) for v in first]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass
class CpuWatch:
    """Start before a run, `stop()` after: CPU seconds of the server's workers, of their database
    backends and of the client; the rest of the machine's busy time is "other" (other jobs, the
    database's background writers, the kernel)."""

    server_pids: list[int]
    database_pids: list[int]

    def __post_init__(self) -> None:
        self._server = process_cpu_s(self.server_pids)
        self._database = process_cpu_s(self.database_pids)
        self._client = client_cpu_s()
        self._machine = machine_ticks()

    def stop(self) -> dict[str, float]:
        busy0, total0 = self._machine
        busy1, total1 = machine_ticks()
        server = process_cpu_s(self.server_pids) - self._server
        database = process_cpu_s(self.database_pids) - self._database
        client = client_cpu_s() - self._client
        busy = (busy1 - busy0) / _TICKS
        return {
            "server_cpu_s": round(server, 2),
            "db_cpu_s": round(database, 2),
            "client_cpu_s": round(client, 2),
            "other_cpu_s": round(max(0.0, busy - server - database - client), 2),
            "machine_busy": round((busy1 - busy0) / (total1 - total0), 2) if total1 > total0 else 0.0,
        }
