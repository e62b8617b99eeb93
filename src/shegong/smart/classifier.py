"""The live classifier: `classify(text)` → top-3 categories with calibrated probabilities and urgency.

Which model is live: the TrainedModel row marked live (written by `shegong smart retrain`), else the seed
model — built from the corpus in the package on first use (about 2 s, deterministic) and cached under
DATA_DIR/smart/ by the fingerprint of corpus, method and scikit-learn version, so a fresh machine, a
test run or a new release needs no step and loads the cached file in well under a second after that.
The model is loaded once per process; `reload()` drops it (after a retrain).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shegong.smart import training

log = logging.getLogger(__name__)

TOP = 3


@dataclass(frozen=True)
class Prediction:
    top: list[tuple[str, float]]  # up to 3 (category code, calibrated probability), best first
    urgent: bool
    urgent_probability: float
    model_version: str


_lock = threading.Lock()
_model: training.Model | None = None


def _load_file(path: Path, sha256: str | None = None) -> training.Model:
    data = path.read_bytes()
    # The file is unpickled (which runs code): only a file whose checksum the database vouches for.
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"checksum mismatch for {path}")
    model = pickle.loads(data)  # noqa: S301 — our own file, checked above or built by this process
    if not isinstance(model, training.Model):
        raise TypeError(f"{path} holds no classifier")
    return model


def _live_row_model() -> training.Model | None:
    from django.db import DatabaseError

    from shegong.smart.models import TrainedModel

    try:
        row = TrainedModel.objects.filter(is_live=True).first()
    except DatabaseError:  # no table yet (before migrate): the seed model still classifies
        return None
    if row is None:
        return None
    path = Path(row.path)
    if not path.is_absolute():
        path = training.model_dir().parent / path
    try:
        return _load_file(path, row.sha256)
    except (OSError, ValueError, TypeError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
        # A missing or damaged file must not stop intake: fall back to the seed model, loudly.
        log.error("live classifier %s cannot be loaded (%s); using the seed model", row.version, exc)
        return None


def seed_model() -> training.Model:
    """The model of the shipped corpus: from the cache file when there is one, else trained and cached."""
    train, _heldout = training.seed_examples()
    path = training.model_dir() / f"seed-{training.fingerprint(train)[:16]}.pkl"
    if path.exists():
        try:
            return _load_file(path)
        except (
            OSError,
            ValueError,
            TypeError,
            pickle.UnpicklingError,
            AttributeError,
            ImportError,
            EOFError,
        ):
            log.warning("cached seed classifier %s is unreadable; rebuilding it", path)
    model = training.train(train)
    try:
        training.write_model(model, path)
        for stale in path.parent.glob("seed-*.pkl"):  # older corpus, method or library: never read again
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:  # a read-only data folder: classify anyway, train again next process
        log.warning("cannot cache the seed classifier at %s: %s", path, exc)
    return model


def live_model() -> training.Model:
    global _model
    model = _model
    if model is None:
        with _lock:
            if _model is None:
                _model = _live_row_model() or seed_model()
            model = _model
    return model


def reload() -> None:
    """Forget the loaded model; the next classify() loads the live one again."""
    global _model
    with _lock:
        _model = None


def classify(text: str) -> Prediction:
    """Top-3 categories and urgency of one appeal text. Any text classifies: empty, emoji-only, English
    or traditional Chinese (an empty text gets the corpus's prior, flat and low)."""
    model = live_model()
    row, urgent_probability = model.predict_one(text if isinstance(text, str) else "")
    order = np.argsort(-row, kind="stable")[:TOP]
    classes = model.classes
    return Prediction(
        top=[(classes[i], round(float(row[i]), 4)) for i in order],
        urgent=urgent_probability >= model.urgent_threshold,
        urgent_probability=round(urgent_probability, 4),
        model_version=model.version,
    )
