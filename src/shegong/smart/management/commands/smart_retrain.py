"""`smart_retrain` (`shegong smart retrain`): rebuild the classifier from the seed corpus and the dispatchers'
corrections; refuse to replace the live model when a held-out score drops (shegong.smart.retrain)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from shegong.smart import retrain


class Command(BaseCommand):
    help = (
        "Train the classifier again on the seed corpus and the categories dispatchers chose at intake, score "
        "it on the held-out split, and make it the live model unless its top-1 accuracy, macro F1 or urgent "
        "recall is below the live model's (then exit with status 1). --dry-run trains and scores only. "
        "The last line is one JSON object with the scores before and after."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="train and score, keep the live model")
        parser.add_argument("--note", default="", help="a note stored with the new model version")

    def handle(self, *args: Any, dry_run: bool, note: str, **options: Any) -> None:
        result = retrain.retrain(dry_run=dry_run, note=note[:300])
        self.stdout.write(
            gettext("{seed} seed examples, {history} from dispatchers' corrections.").format(
                seed=result.seed, history=result.history
            )
        )
        for name, after in result.after.items():
            before = result.before.get(name) if result.before else None
            self.stdout.write(f"{name:18} {'-' if before is None else f'{before:.4f}':>8} → {after:.4f}")
        if result.status == retrain.SAVED:
            self.stdout.write(gettext("Model {version} is now live.").format(version=result.version))
        self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        if result.status == retrain.REFUSED:
            raise CommandError(
                gettext(
                    "The new model scores lower on the held-out split ({scores}); the live model is kept."
                ).format(scores=", ".join(result.dropped))
            )
