"""Training and evaluating the appeal classifier (category top-3 and urgency), and making a model live.

The seed corpus lives in data/seed.jsonl (training) and data/heldout.jsonl (never trained on; written in
other voices, to measure how the model does on appeals it has never seen). Training is deterministic:
the same examples give the same model, byte for byte in its predictions (fixed folds, fixed solvers).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext

from shegong.appeals.data.categories import CATEGORIES
from shegong.smart.features import LinearScorer, Segmenter, vectorizer
from shegong.smart.text import normalize

CODES: tuple[str, ...] = tuple(str(c["code"]) for c in CATEGORIES)
DATA = Path(__file__).resolve().parent / "data"
SEED_FILE = DATA / "seed.jsonl"
HELDOUT_FILE = DATA / "heldout.jsonl"
# Bump when the method changes, so a cached seed model built by older code is not reused.
METHOD = "char13+jieba+cues/linsvc-sigmoid-power3/v4-nopunct"
URGENT_THRESHOLD_BOUNDS = (0.1, 0.5)
URGENT_CV_PRECISION = 0.9


@dataclass
class Example:
    text: str
    category: str
    urgent: bool


@dataclass
class Model:
    """A fitted classifier: text → (category probabilities, urgent probability). Picklable."""

    version: str
    features: Any
    category: Any
    urgency: Any
    urgent_threshold: float
    trained_on: int = 0
    scorer: LinearScorer | None = None
    # Per-class Platt scaling, normalised, is under-confident (0.72 said, 0.97 right on the training
    # folds); one power applied to the normalised probabilities, fitted on cross-validated predictions,
    # brings what the model says in line with how often it is right.
    temperature: float = 1.0

    def _sharpen(self, proba: np.ndarray) -> np.ndarray:
        if self.temperature == 1.0:
            return proba
        powered: np.ndarray = np.power(proba, self.temperature)
        sharpened: np.ndarray = powered / powered.sum(axis=-1, keepdims=True)
        return sharpened

    @property
    def classes(self) -> list[str]:
        if self.scorer is not None:
            return self.scorer.classes[0]
        return [str(c) for c in self.category.classes_]

    def __getstate__(self) -> dict[str, Any]:
        # The file keeps what classifies (the scorer); scikit-learn's objects stay with the process that
        # trained them, so loading the file never imports scikit-learn.
        if self.scorer is None:
            self.scorer = LinearScorer(self.features, [self.category, self.urgency])
        return {**self.__dict__, "features": None, "category": None, "urgency": None}

    def predict_one(self, text: str) -> tuple[np.ndarray, float]:
        """Category probabilities (summing to 1, in `classes` order) and the urgent probability."""
        if self.scorer is None:
            self.scorer = LinearScorer(self.features, [self.category, self.urgency])
        category, urgency = self.scorer.calibrated(normalize(text))
        return self._sharpen(category), float(urgency[1])

    def predict_reference(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The same through scikit-learn (slow per call; the reference the fast path is tested against).
        Only on the model as trained: a model read from its file has no scikit-learn parts."""
        if self.features is None:
            raise ValueError("a loaded model has no scikit-learn parts; train one to compare")
        matrix = self.features.transform([normalize(t) for t in texts])
        urgent_column = list(self.urgency.classes_).index(True)
        category = self._sharpen(self.category.predict_proba(matrix))
        return category, self.urgency.predict_proba(matrix)[:, urgent_column]


@dataclass
class Metrics:
    n: int
    top1: float
    top3: float
    macro_f1: float
    urgent_recall: float
    urgent_precision: float
    ms_per_item: float
    # code → {"precision", "recall", "f1", "support"} of the top-1 choice
    per_category: dict[str, dict[str, float]] = field(default_factory=dict)
    # calibration: mean top-1 probability, and the expected calibration error over ten bins (the gap
    # between what the model says and how often it is right, weighted by how many appeals it says it of)
    confidence: float = 0.0
    calibration_error: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "eval": "classify",
            "n": self.n,
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "macro_f1": round(self.macro_f1, 4),
            "urgent_recall": round(self.urgent_recall, 4),
            "urgent_precision": round(self.urgent_precision, 4),
            "ms_per_item": round(self.ms_per_item, 3),
        }

    def as_json_line(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


# --- the corpus -------------------------------------------------------------------------------------


def parse_line(line: str) -> Example:
    """One JSONL line → Example; ValueError with the reason when it is not {"text", "category", "urgent"}."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(gettext("not JSON ({error})").format(error=exc.msg)) from None
    if not isinstance(row, dict):
        raise ValueError(gettext("not a JSON object"))
    text, category, urgent = row.get("text"), row.get("category"), row.get("urgent", False)
    if not isinstance(text, str):
        raise ValueError(gettext("“text” is missing or not a string"))
    if category not in CODES:
        raise ValueError(
            gettext("“category” {value} is not one of {codes}").format(
                value=json.dumps(category, ensure_ascii=False), codes=", ".join(CODES)
            )
        )
    if not isinstance(urgent, bool):
        raise ValueError(gettext("“urgent” is not true or false"))
    return Example(text=text, category=category, urgent=urgent)


def read_jsonl(lines: Iterable[str]) -> tuple[list[Example], list[tuple[int, str]]]:
    """Examples and the bad lines as (line number, reason); blank lines are skipped silently."""
    examples: list[Example] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(parse_line(line))
        except ValueError as exc:
            bad.append((number, str(exc)))
    return examples, bad


def _read_corpus(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        examples, bad = read_jsonl(handle)
    if bad:  # the shipped corpus is checked by the tests; a broken one must not train silently
        raise ValueError(f"{path.name}: bad lines {bad[:5]}")
    return examples


def seed_examples() -> tuple[list[Example], list[Example]]:
    """(train, heldout) from the corpus in the repository."""
    return _read_corpus(SEED_FILE), _read_corpus(HELDOUT_FILE)


def fingerprint(examples: Sequence[Example]) -> str:
    """What determines a model: the examples, the method and the library versions."""
    from importlib.metadata import version  # not `import sklearn`: loading a model must not import it

    digest = hashlib.sha256(f"{METHOD}|scikit-learn {version('scikit-learn')}|".encode())
    for e in examples:
        digest.update(json.dumps([e.text, e.category, e.urgent], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# --- training ----------------------------------------------------------------------------------------


def _svc(**kwargs: Any) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=0.5, random_state=0, max_iter=5000, **kwargs)


def _calibrated(**kwargs: Any) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold

    # Platt scaling over 5 fixed folds: LinearSVC ranks well but has no probabilities of its own; the
    # sigmoid turns its margins into probabilities a dispatcher can trust (0.8 means right 8 times in 10).
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    return CalibratedClassifierCV(_svc(**kwargs), method="sigmoid", cv=folds, ensemble=False)


def _urgent_threshold(matrix: Any, urgent: np.ndarray) -> float:
    """The lowest threshold whose precision reaches URGENT_CV_PRECISION on cross-validated probabilities
    of the training examples: as much recall as a dispatcher can live with. Unseen appeals score lower
    than cross-validated ones, so the threshold leans low on purpose."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    low, high = URGENT_THRESHOLD_BOUNDS
    if urgent.sum() < 5:
        return high
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=1)
    calibrated = _calibrated(class_weight="balanced")
    scores = cross_val_predict(calibrated, matrix, urgent, cv=folds, method="predict_proba")[:, 1]
    for threshold in np.round(np.arange(low, high + 1e-9, 0.01), 2):
        flagged = scores >= threshold
        if (flagged & urgent).sum() / max(flagged.sum(), 1) >= URGENT_CV_PRECISION:
            return float(threshold)
    return high


def _temperature(matrix: Any, categories: np.ndarray) -> float:
    """The power that minimises the log loss of cross-validated category probabilities."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if min(np.unique(categories, return_counts=True)[1]) < 10:
        return 1.0  # too few examples per category to fold twice
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=2)  # 3: one power needs few folds
    proba = cross_val_predict(_calibrated(), matrix, categories, cv=folds, method="predict_proba")
    truth = np.searchsorted(np.unique(categories), categories)

    def loss(power: float) -> float:
        powered = np.power(np.maximum(proba, 1e-12), power)
        powered /= powered.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(powered[np.arange(len(truth)), truth])))

    return float(min(np.round(np.arange(0.5, 3.001, 0.05), 2), key=loss))


def train(examples: Sequence[Example]) -> Model:
    """Fit category and urgency classifiers on the examples (deterministic)."""
    if not examples:
        raise ValueError("no examples to train on")
    texts = [normalize(e.text) for e in examples]
    features = vectorizer(Segmenter.for_texts(texts))
    matrix = features.fit_transform(texts)
    categories = np.array([e.category for e in examples])
    urgent = np.array([e.urgent for e in examples], dtype=bool)
    category = _calibrated().fit(matrix, categories)
    urgency = _calibrated(class_weight="balanced").fit(matrix, urgent)
    return Model(
        version="seed-" + fingerprint(examples)[:10],
        features=features,
        category=category,
        urgency=urgency,
        urgent_threshold=_urgent_threshold(matrix, urgent),
        trained_on=len(examples),
        scorer=LinearScorer(features, [category, urgency]),
        temperature=_temperature(matrix, categories),
    )


# --- evaluation --------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def evaluate(model: Model, examples: Sequence[Example]) -> Metrics:
    """Top-1/top-3 accuracy, macro F1, urgent recall/precision and the time per appeal, one at a time
    (as intake classifies them), on the examples."""
    classes = np.array(model.classes)
    model.predict_one("")  # first call builds the analyzers: loading, not classifying
    started = time.perf_counter()
    rows = [model.predict_one(e.text) for e in examples]
    elapsed = time.perf_counter() - started
    top1_hits = top3_hits = flagged = flagged_right = 0
    said = np.zeros(len(examples))
    right = np.zeros(len(examples), dtype=bool)
    counts = {code: {"tp": 0, "fp": 0, "fn": 0, "support": 0} for code in CODES}
    for index, (example, (proba, urgent_p)) in enumerate(zip(examples, rows, strict=True)):
        ranking = np.argsort(-proba, kind="stable")
        order = classes[ranking]
        best = str(order[0])
        said[index], right[index] = proba[ranking[0]], best == example.category
        top1_hits += best == example.category
        top3_hits += example.category in order[:3]
        counts[example.category]["support"] += 1
        if best == example.category:
            counts[best]["tp"] += 1
        else:
            counts[best]["fp"] += 1
            counts[example.category]["fn"] += 1
        is_flagged = urgent_p >= model.urgent_threshold
        flagged += is_flagged
        flagged_right += is_flagged and example.urgent
    per_category: dict[str, dict[str, float]] = {}
    for code, c in counts.items():
        precision = _ratio(c["tp"], c["tp"] + c["fp"])
        recall = _ratio(c["tp"], c["tp"] + c["fn"])
        per_category[code] = {
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
            "support": c["support"],
        }
    present = [v["f1"] for v in per_category.values() if v["support"]]
    n = len(examples)
    bins = np.minimum((said * 10).astype(int), 9)
    calibration_error = sum(
        abs(said[bins == b].mean() - right[bins == b].mean()) * (bins == b).sum() / n
        for b in range(10)
        if (bins == b).any()
    )
    return Metrics(
        n=n,
        top1=_ratio(top1_hits, n),
        top3=_ratio(top3_hits, n),
        macro_f1=_ratio(sum(present), len(present)),
        urgent_recall=_ratio(flagged_right, sum(e.urgent for e in examples)),
        urgent_precision=_ratio(flagged_right, flagged),
        ms_per_item=_ratio(elapsed * 1000, n),
        per_category=per_category,
        confidence=float(said.mean()) if n else 0.0,
        calibration_error=float(calibration_error),
    )


# --- files and the live row --------------------------------------------------------------------------


def model_dir() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / "smart"


def write_model(model: Model, path: Path) -> str:
    """Pickle the model to path atomically (a reader never sees half a file); returns its sha256."""
    data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()


def save_live(model: Model, metrics: Metrics, *, seed_count: int, history_count: int, note: str = "") -> Any:
    """Write the model file under DATA_DIR/smart/, add its TrainedModel row as the live one (the previous
    live row stays, not live), and make this process use it."""
    from django.db import transaction
    from django.utils import timezone

    from shegong.smart import classifier
    from shegong.smart.models import TrainedModel

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    model.version = f"{stamp}-{digest[:8]}"
    relative = Path("smart") / f"model-{model.version}.pkl"
    sha = write_model(model, model_dir().parent / relative)
    with transaction.atomic():
        TrainedModel.objects.select_for_update().filter(is_live=True).update(is_live=False)
        row = TrainedModel.objects.create(
            version=model.version,
            path=str(relative),
            sha256=sha,
            seed_examples=seed_count,
            history_examples=history_count,
            heldout_top1=metrics.top1,
            heldout_top3=metrics.top3,
            heldout_macro_f1=metrics.macro_f1,
            heldout_urgent_recall=metrics.urgent_recall,
            heldout_urgent_precision=metrics.urgent_precision,
            is_live=True,
            note=note[:300],
        )
    classifier.reload()
    return row


def demo_examples(per_situation: int = 3, seed: int = 0) -> list[Example]:
    """Appeals composed the way the demo composes them (appeals/demo/texts.py), labelled with the
    situation's category and urgency: an extra evaluation set only — template text, never trained on."""
    import random

    from shegong.appeals.demo import texts

    rng = random.Random(seed)  # noqa: S311 — a fixed sample, not a secret
    examples: list[Example] = []
    for code, pool in texts.POOLS.items():
        for situation in pool.situations:
            letters = [k for k in texts.VOCABULARY if not situation.types or k in situation.types]
            for _ in range(per_situation):
                letter = rng.choice(letters)
                slots = {
                    **texts.VOCABULARY[letter],
                    "platform": rng.choice(texts.PLATFORMS[letter])[0],
                    "road": "长江路",
                    "landmark": rng.choice(texts.LANDMARKS),
                    "estate": rng.choice(texts.ESTATES),
                    "place": "长江路" + rng.choice(texts.LANDMARKS),
                    "fine": "50",
                    "rent": "300",
                    "amount": "1200",
                    "n": "两",
                    "number": "12",
                }
                opener = rng.choice(texts.HOTLINE_OPENERS if rng.random() < 0.2 else texts.OPENERS)
                details = list(situation.details or pool.details)
                chosen = rng.sample(details, k=min(len(details), rng.choice((0, 1, 1, 2))))
                ask = rng.choice(situation.asks or pool.asks)
                text = (opener + situation.text + "".join(chosen) + ask).format(**slots)
                examples.append(Example(text=text, category=code, urgent=situation.urgent))
    return examples
