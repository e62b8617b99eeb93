"""`smart_eval` (`shegong smart eval FILE.jsonl`): score the live classifier on labelled appeals.

Input lines: {"text": …, "category": CODE, "urgent": true|false}. Bad lines are reported on stderr with
their line numbers and skipped. Output: a per-category precision/recall table, then as the last line one
JSON object {"eval": "classify", "n", "top1", "top3", "macro_f1", "urgent_recall", "urgent_precision",
"ms_per_item"}.
"""

from __future__ import annotations

import unicodedata
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from shegong.appeals.data.categories import CATEGORIES
from shegong.smart import classifier, training

NAMES = {str(c["code"]): str(c["name"]) for c in CATEGORIES}


def _lines(path: Path) -> list[str]:
    """The file's lines; a line that is not UTF-8 becomes one that parse_line rejects, with its number."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(
            gettext("Cannot read {path}: {error}").format(path=path, error=exc.strerror or exc)
        ) from None
    lines = []
    for chunk in raw.split(b"\n"):
        try:
            lines.append(chunk.decode("utf-8-sig"))
        except UnicodeDecodeError:
            lines.append("\x00 not UTF-8")
    return lines


def _pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal columns: a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)


class Command(BaseCommand):
    help = (
        "Score the live classifier on a JSONL file of labelled appeals ({text, category, urgent}): "
        "per-category precision/recall, then one JSON line with top-1/top-3 accuracy, macro F1, urgent "
        "recall/precision and milliseconds per appeal. --heldout scores the corpus's held-out split, "
        "--demo the demo's template texts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, metavar="FILE.jsonl", help="labelled appeals")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--heldout", action="store_true", help="the held-out split shipped with Shegong")
        source.add_argument("--demo", action="store_true", help="appeals composed from the demo's texts")

    def handle(self, *args: Any, file: Path | None, heldout: bool, demo: bool, **options: Any) -> None:
        if (file is None) == (not (heldout or demo)):
            raise CommandError(gettext("Give either FILE.jsonl or --heldout or --demo."))
        if heldout:
            examples = training.seed_examples()[1]
        elif demo or file is None:
            examples = training.demo_examples()
        else:
            examples, bad = training.read_jsonl(_lines(file))
            for number, reason in bad:
                self.stderr.write(
                    gettext("line {number}: skipped: {reason}").format(number=number, reason=reason)
                )
            if bad:
                self.stderr.write(gettext("{count} bad lines skipped.").format(count=len(bad)))
        if not examples:
            raise CommandError(gettext("No usable lines to evaluate."))
        model = classifier.live_model()
        metrics = training.evaluate(model, examples)
        self.stdout.write(gettext("Model {version}, {n} appeals").format(version=model.version, n=metrics.n))
        self.stdout.write(
            gettext(
                "Mean top-1 probability {confidence:.3f}, top-1 accuracy {top1:.3f}, "
                "calibration error {ece:.3f}"
            ).format(confidence=metrics.confidence, top1=metrics.top1, ece=metrics.calibration_error)
        )
        self.stdout.write(
            f"{'code':<14}{_pad(gettext('category'), 20)}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}"
        )
        for code, row in metrics.per_category.items():
            self.stdout.write(
                f"{code:<14}{_pad(NAMES.get(code, ''), 20)}{row['precision']:>10.3f}{row['recall']:>8.3f}"
                f"{row['f1']:>8.3f}{int(row['support']):>6}"
            )
        self.stdout.write(metrics.as_json_line())
