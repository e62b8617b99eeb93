"""What the drills compare at the end, as pure functions over what the clients saw and what the database
holds, so tests can feed them a broken database and see them say so."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shegong.ops import digest

# The crash drill's clients write this marker into the appeal text (and the same string into source_ref).
MARKER = re.compile(r"〔(D[0-9a-f]+-\d+-\d+)〕")


def marker_text(marker: str) -> str:
    return f"〔{marker}〕"


@dataclass
class Sent:
    """One appeal a client sent (maybe several times): its marker, its Idempotency-Key, what came back."""

    marker: str
    key: str
    tracking_no: str | None = None  # from the first 2xx answer
    refused: str = ""  # a 4xx answer: the request was definitely not filed (it is never retried)
    attempts: int = 0


@dataclass(frozen=True)
class StoredAppeal:
    id: int
    tracking_no: str
    source_ref: str
    text: str


@dataclass
class CrashVerdict:
    acknowledged: int = 0
    stored: int = 0
    lost: int = 0  # acknowledged, but no appeal with that tracking number and marker
    duplicates: int = 0  # appeals beyond the first with one marker
    orphans: int = 0  # stored appeals no client sent (no marker, or a marker nobody sent)
    unacknowledged: int = 0  # stored appeals whose client never got an answer (it gave up)
    mismatches: int = 0  # missing or extra timeline/audit rows, idempotency record differs, wrong source_ref
    problems: list[str] = field(default_factory=list)  # the first few, for the operator

    def note(self, message: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(message)

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicates or self.orphans or self.mismatches or self.unacknowledged)


def verify_crash(
    sent: Iterable[Sent],
    appeals: Iterable[StoredAppeal],
    *,
    submit_events: Mapping[int, int],
    audit_rows: Mapping[int, int],
    idempotency: Mapping[str, str | None],
) -> CrashVerdict:
    """`submit_events` and `audit_rows`: per appeal id, how many "submit" timeline entries and "appeal
    filed" audit rows it has; `idempotency`: the filer's stored keys → the tracking number they answer."""
    sent = list(sent)
    appeals = list(appeals)
    verdict = CrashVerdict(stored=len(appeals))
    by_marker: dict[str, list[StoredAppeal]] = {}
    for appeal in appeals:
        found = MARKER.findall(appeal.text)
        if len(found) != 1:
            verdict.orphans += 1
            verdict.note(f"appeal {appeal.tracking_no}: no drill marker in its text")
            continue
        by_marker.setdefault(found[0], []).append(appeal)
        if appeal.source_ref != found[0]:
            verdict.mismatches += 1
            verdict.note(f"appeal {appeal.tracking_no}: source_ref {appeal.source_ref!r} ≠ marker {found[0]}")
        events, audits = submit_events.get(appeal.id, 0), audit_rows.get(appeal.id, 0)
        if events != 1 or audits != 1:
            verdict.mismatches += 1
            verdict.note(
                f"appeal {appeal.tracking_no}: {events} submit events, {audits} audit rows (want 1, 1)"
            )
    sent_markers = Counter(s.marker for s in sent)
    for marker, n in sent_markers.items():
        if n > 1:  # the drill itself reused a marker: nothing below could be trusted
            verdict.mismatches += n - 1
            verdict.note(f"marker {marker} was sent by {n} requests")
    for marker, rows in by_marker.items():
        verdict.duplicates += len(rows) - 1
        if len(rows) > 1:
            verdict.note(f"marker {marker}: {len(rows)} appeals ({', '.join(r.tracking_no for r in rows)})")
        if marker not in sent_markers:
            verdict.orphans += len(rows)
            verdict.note(f"marker {marker}: stored but never sent")
    by_number = {a.tracking_no: a for a in appeals}
    for request in sent:
        rows = by_marker.get(request.marker, [])
        if request.tracking_no is None:
            if rows:
                verdict.unacknowledged += 1
                verdict.note(
                    f"marker {request.marker}: stored as {rows[0].tracking_no}, but the client got "
                    + (f"a refusal ({request.refused})" if request.refused else "no answer")
                )
            continue
        verdict.acknowledged += 1
        appeal = by_number.get(request.tracking_no)
        if appeal is None or MARKER.findall(appeal.text) != [request.marker]:
            verdict.lost += 1
            verdict.note(
                f"marker {request.marker}: acknowledged as {request.tracking_no}, not in the database"
            )
            continue
        answer = idempotency.get(request.key, "")
        if answer != request.tracking_no:
            verdict.mismatches += 1
            verdict.note(
                f"marker {request.marker}: its Idempotency-Key answers {answer or 'nothing'}, "
                f"the client was told {request.tracking_no}"
            )
    return verdict


# --- backup drill ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableComparison:
    table: str
    rows_before: int | None
    rows_after: int | None
    sha_before: str
    sha_after: str

    @property
    def equal(self) -> bool:
        return self.rows_before == self.rows_after and self.sha_before == self.sha_after


def compare_tables(
    before: Mapping[str, digest.TableDigest], after: Mapping[str, digest.TableDigest]
) -> list[TableComparison]:
    """Every table of either side, with its rows and checksum on both (None/"" where a side lacks it)."""
    result = []
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table), after.get(table)
        result.append(
            TableComparison(
                table=table,
                rows_before=b["rows"] if b else None,
                rows_after=a["rows"] if a else None,
                sha_before=b["sha256"] if b else "",
                sha_after=a["sha256"] if a else "",
            )
        )
    return result


AUDIT_TABLE = "core_auditevent"


@dataclass
class BackupVerdict:
    """The source before the backup against the restored database, table by table."""

    tables: list[TableComparison]
    manifest_differs: list[str]  # tables where the backup's manifest disagrees with the source
    restore_audit_rows: int  # rows the restore added to the audit table (exactly one: "backup restored")

    @property
    def differing(self) -> list[str]:
        return [t.table for t in self.tables if not t.equal]

    @property
    def equal(self) -> bool:
        return not self.differing and not self.manifest_differs and self.restore_audit_rows == 1

    @property
    def rows(self) -> int:
        return sum(t.rows_before or 0 for t in self.tables)


def verify_backup(
    *,
    before: Mapping[str, digest.TableDigest],
    manifest: Mapping[str, digest.TableDigest],
    restored: Mapping[str, digest.TableDigest],
    restored_all: Mapping[str, digest.TableDigest],
) -> BackupVerdict:
    """`before`: the source just before the backup; `manifest`: what the backup says it holds; `restored`:
    the restored database with the audit table cut at the source's last id; `restored_all`: the same, uncut
    (the difference must be the restore's own "backup restored" row)."""
    audit_all = restored_all.get(AUDIT_TABLE, {"rows": 0, "sha256": ""})["rows"]
    audit_cut = restored.get(AUDIT_TABLE, {"rows": 0, "sha256": ""})["rows"]
    return BackupVerdict(
        tables=compare_tables(before, restored),
        manifest_differs=[t.table for t in compare_tables(before, manifest) if not t.equal],
        restore_audit_rows=audit_all - audit_cut,
    )
