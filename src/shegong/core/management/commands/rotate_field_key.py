"""Re-encrypt personal data under the primary field key and recompute every blind index.

Procedure (docs/audit-and-pii.md): put the new key first in SHEGONG_FIELD_KEY ("NEW,OLD"), restart, run
this command, check with `--check`, then drop OLD from the setting.

The command works on the stored ciphertext with SQL, never through the model: it does not normalise or
validate anything, so legacy values are carried over exactly. Each row is written with a compare-and-set
on its old ciphertext; a row the application changed meanwhile (already under the new key) is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils.translation import gettext

from shegong.core import pii
from shegong.core.pii import BlindIndexField, EncryptedTextField, PIIDecryptError


@dataclass
class _Target:
    model: type[models.Model]
    encrypted: list[EncryptedTextField]
    indexes: list[BlindIndexField]

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass
class _Stats:
    rotated: int = 0
    current: int = 0
    reindexed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)


def _targets() -> list[_Target]:
    out = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        encrypted = [f for f in meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        indexes = [f for f in meta.local_concrete_fields if isinstance(f, BlindIndexField)]
        if encrypted or indexes:
            out.append(_Target(model, encrypted, indexes))
    return out


def _primary() -> Fernet:
    first = settings.SHEGONG_FIELD_KEY.split(",")[0].strip()
    if not first:
        raise CommandError(gettext("SHEGONG_FIELD_KEY is empty."))
    return Fernet(first.encode())


def _under(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted personal-data value under the first key of SHEGONG_FIELD_KEY and "
        "recompute every blind index. With --check, only count what still needs it (exit status 1 if any)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Report, change nothing.")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        check: bool = options["check"]
        batch: int = max(1, options["batch_size"])
        primary = _primary()
        pending = failed = 0
        for target in _targets():
            stats = self._process(target, primary=primary, batch=batch, check=check)
            line = (
                gettext(
                    "{model}: {rotated} need re-encryption, {current} already under the primary key, "
                    "{reindexed} blind-index values out of date"
                )
                if check
                else gettext(
                    "{model}: {rotated} re-encrypted, {current} already under the primary key, "
                    "{reindexed} blind-index values recomputed"
                )
            ).format(
                model=target.label, rotated=stats.rotated, current=stats.current, reindexed=stats.reindexed
            )
            if stats.skipped:
                line += gettext(", {n} changed meanwhile (left as written)").format(n=stats.skipped)
            if stats.failed:
                line += gettext(", {n} FAILED").format(n=stats.failed)
            self.stdout.write(line)
            for failure in stats.failures[:20]:
                self.stderr.write(f"  {failure}")
            pending += stats.rotated + stats.reindexed
            failed += stats.failed
        if failed:
            raise CommandError(
                gettext("{n} values could not be decrypted or indexed with the configured keys").format(
                    n=failed
                )
            )
        if check and pending:
            raise CommandError(gettext("{n} values are not yet under the primary key").format(n=pending))
        done = gettext("Nothing left to rotate.") if check else gettext("Rotation complete.")
        self.stdout.write(self.style.SUCCESS(done))

    # --- one model ---------------------------------------------------------------------------------------
    def _process(self, target: _Target, *, primary: Fernet, batch: int, check: bool) -> _Stats:
        qn = connection.ops.quote_name
        meta = target.model._meta
        pk_col = str(meta.pk.column)
        sources = {f.source for f in target.indexes} - {f.name for f in target.encrypted}
        plain_sources = [f for f in meta.concrete_fields if f.name in sources]
        columns = [
            pk_col,
            *(str(f.column) for f in target.encrypted),
            *(str(f.column) for f in plain_sources),
            *(str(f.column) for f in target.indexes),
        ]
        # Names come from the model's own metadata, quoted by the backend: no user input reaches the SQL.
        select = f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(meta.db_table)}"  # noqa: S608
        after = f" WHERE {qn(pk_col)} > %s"
        order = f" ORDER BY {qn(pk_col)} LIMIT %s"
        stats = _Stats()
        last: Any = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                # Keyset pagination: the first batch has no lower bound (a key may be any type).
                if last is None:
                    cursor.execute(select + order, [batch])
                else:
                    cursor.execute(select + after + order, [last, batch])
                rows = cursor.fetchall()
                for row in rows:
                    self._row(
                        target, plain_sources, row, primary=primary, check=check, stats=stats, cur=cursor
                    )
            if len(rows) < batch:
                return stats
            last = rows[-1][0]

    def _row(
        self,
        target: _Target,
        plain_sources: Sequence[Any],
        row: Sequence[Any],
        *,
        primary: Fernet,
        check: bool,
        stats: _Stats,
        cur: Any,
    ) -> None:
        n_enc, n_plain = len(target.encrypted), len(plain_sources)
        pk = row[0]
        tokens = dict(zip((f.name for f in target.encrypted), row[1 : 1 + n_enc], strict=True))
        plain = dict(zip((f.name for f in plain_sources), row[1 + n_enc : 1 + n_enc + n_plain], strict=True))
        hashes = dict(zip((f.name for f in target.indexes), row[1 + n_enc + n_plain :], strict=True))
        new_tokens: dict[str, str] = {}
        try:
            for f in target.encrypted:
                token = tokens[f.name]
                if token:
                    plain[f.name] = pii.decrypt(token)
                    if _under(primary, token):
                        stats.current += 1
                    else:
                        new_tokens[f.name] = pii.rotate(token)
                        stats.rotated += 1
            new_hashes = {}
            for h in target.indexes:
                source_value = plain.get(h.source) or ""
                expected = pii.blind_index(h.kind, source_value) if source_value else ""
                if expected != (hashes[h.name] or ""):
                    new_hashes[h.name] = expected
                    stats.reindexed += 1
        except (PIIDecryptError, ValidationError) as exc:
            stats.failed += 1
            stats.failures.append(f"{target.label} pk={pk}: {exc}")
            return
        if check or not (new_tokens or new_hashes):
            return
        self._write(target, pk, tokens, new_tokens, new_hashes, stats=stats, cursor=cur)

    def _write(
        self,
        target: _Target,
        pk: Any,
        old_tokens: dict[str, Any],
        new_tokens: dict[str, str],
        new_hashes: dict[str, str],
        *,
        stats: _Stats,
        cursor: Any,
    ) -> None:
        qn = connection.ops.quote_name
        meta = target.model._meta
        sets, params = [], []
        for f in target.encrypted:
            if f.name in new_tokens:
                sets.append(f"{qn(f.column)} = %s")
                params.append(new_tokens[f.name])
        for h in target.indexes:
            if h.name in new_hashes:
                sets.append(f"{qn(h.column)} = %s")
                params.append(new_hashes[h.name])
        # Compare-and-set on every encrypted column: a row rewritten by the application since we read it
        # is already under the primary key with a fresh index, and must not get our older value back.
        where = [f"{qn(str(meta.pk.column))} = %s"]
        params.append(pk)
        for f in target.encrypted:
            old = old_tokens[f.name]
            if old is None:
                where.append(f"{qn(f.column)} IS NULL")
            else:
                where.append(f"{qn(f.column)} = %s")
                params.append(old)
        sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(where)}"  # noqa: S608
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            stats.skipped += 1
