"""`smart_dup_eval` (`shegong smart dup_eval FILE.jsonl`): precision and recall of the duplicate finder on
labelled pairs.

Input lines: {"a": text, "b": text, "duplicate": true|false} with optional "same_street" (true when
missing) and "category" (a code, for the reader). Bad lines are reported on stderr with their line numbers
and skipped. A pair is predicted a duplicate when it is in one street and its score reaches the
threshold, as at intake; the scores are computed the way intake computes them, the IDF fitted on one text
and everything it is compared with (all pairs sharing the same "a" form one such group).

Output: the configured threshold's counts, a table over thresholds, the best threshold (highest F1), and as
the last line one JSON object {"eval": "duplicates", "n", "precision", "recall", "f1", "threshold",
"best_threshold", "best_f1", "ms_per_pair"}.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from shegong.smart import duplicates

SHIPPED = Path(duplicates.__file__).parent / "data" / "dup_pairs.jsonl"
TABLE = [round(0.05 * i, 2) for i in range(1, 13)]


@dataclass
class Pair:
    a: str
    b: str
    duplicate: bool
    same_street: bool
    score: float = 0.0


@dataclass(frozen=True)
class Counts:
    threshold: float
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def parse(line: str) -> Pair:
    """One labelled pair, or ValueError saying what is wrong with the line."""
    try:
        row = json.loads(line)
    except ValueError:
        raise ValueError(gettext("not valid JSON")) from None
    if not isinstance(row, dict):
        raise ValueError(gettext("not a JSON object"))
    a, b, label = row.get("a"), row.get("b"), row.get("duplicate")
    if not isinstance(a, str) or not a.strip() or not isinstance(b, str) or not b.strip():
        raise ValueError(gettext('"a" and "b" must be non-empty texts'))
    if not isinstance(label, bool):
        raise ValueError(gettext('"duplicate" must be true or false'))
    street = row.get("same_street", True)
    if not isinstance(street, bool):
        raise ValueError(gettext('"same_street" must be true or false'))
    if "category" in row and not isinstance(row["category"], str):
        raise ValueError(gettext('"category" must be a category code'))
    return Pair(a=a, b=b, duplicate=label, same_street=street)


def read(path: Path) -> tuple[list[Pair], list[tuple[int, str]]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(
            gettext("Cannot read {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from None
    pairs: list[Pair] = []
    bad: list[tuple[int, str]] = []
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            line = chunk.decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            bad.append((number, gettext("not UTF-8")))
            continue
        if not line:
            continue
        try:
            pairs.append(parse(line))
        except ValueError as exc:
            bad.append((number, str(exc)))
    return pairs, bad


def score(pairs: list[Pair]) -> None:
    """Each pair's score, computed per group of pairs sharing "a" (one query and its candidates)."""
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        if pair.same_street:  # another street is never a candidate: no score needed
            groups[duplicates.normal(pair.a)].append(pair)
    for group in groups.values():
        for pair, value in zip(group, duplicates.similarities(group[0].a, [p.b for p in group]), strict=True):
            pair.score = value


def counts(pairs: list[Pair], threshold: float) -> Counts:
    predicted = [(p.same_street and p.score >= threshold, p.duplicate) for p in pairs]
    return Counts(
        threshold=threshold,
        tp=sum(1 for guess, truth in predicted if guess and truth),
        fp=sum(1 for guess, truth in predicted if guess and not truth),
        fn=sum(1 for guess, truth in predicted if not guess and truth),
    )


def best(pairs: list[Pair]) -> Counts:
    """The threshold (in steps of 0.01) with the highest F1; on a tie the higher, stricter one."""
    return max((counts(pairs, t / 100) for t in range(1, 100)), key=lambda c: (round(c.f1, 6), c.threshold))


class Command(BaseCommand):
    help = (
        "Precision and recall of the duplicate finder on a JSONL file of labelled pairs ({a, b, duplicate, "
        "same_street?, category?}); without FILE, the pairs shipped with Shegong. The last line is one "
        "JSON object."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, metavar="FILE.jsonl", help="labelled pairs")
        parser.add_argument(
            "--threshold", type=float, default=None, help="score to call a duplicate (default: the setting)"
        )

    def handle(self, *args: Any, file: Path | None, threshold: float | None, **options: Any) -> None:
        threshold = duplicates.Rules.from_settings().threshold if threshold is None else threshold
        if not 0 < threshold <= 1:
            raise CommandError(gettext("The threshold must be above 0 and at most 1."))
        pairs, bad = read(file or SHIPPED)
        for number, reason in bad:
            self.stderr.write(
                gettext("line {number}: skipped: {reason}").format(number=number, reason=reason)
            )
        if bad:
            self.stderr.write(gettext("{count} bad lines skipped.").format(count=len(bad)))
        if not pairs:
            raise CommandError(gettext("No usable lines to evaluate."))
        started = time.perf_counter()
        score(pairs)
        ms = (time.perf_counter() - started) * 1000 / len(pairs)
        at, top = counts(pairs, threshold), best(pairs)
        positives = sum(p.duplicate for p in pairs)
        self.stdout.write(
            gettext("{n} pairs, {positives} duplicates, {other} in another street").format(
                n=len(pairs), positives=positives, other=sum(not p.same_street for p in pairs)
            )
        )
        self.stdout.write(
            f"{'threshold':>10}{'precision':>11}{'recall':>8}{'f1':>8}{'tp':>5}{'fp':>5}{'fn':>5}"
        )
        for row in sorted({*(counts(pairs, t) for t in TABLE), at, top}, key=lambda c: c.threshold):
            mark = " *" if row == at else (" best" if row == top else "")
            self.stdout.write(
                f"{row.threshold:>10.2f}{row.precision:>11.3f}{row.recall:>8.3f}{row.f1:>8.3f}"
                f"{row.tp:>5}{row.fp:>5}{row.fn:>5}{mark}"
            )
        self.stdout.write(
            json.dumps(
                {
                    "eval": "duplicates",
                    "n": len(pairs),
                    "precision": round(at.precision, 4),
                    "recall": round(at.recall, 4),
                    "f1": round(at.f1, 4),
                    "threshold": threshold,
                    "best_threshold": top.threshold,
                    "best_f1": round(top.f1, 4),
                    "ms_per_pair": round(ms, 3),
                }
            )
        )
