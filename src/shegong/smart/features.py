"""Features for the classifier: character 1–3-grams plus jieba words, both TF-IDF.

Characters carry most of the signal in short Chinese texts and survive typos and words jieba has never
seen; jieba words add the longer units (劳动仲裁, 职业伤害, 换电柜). jieba's full dictionary takes ~0.7 s to
load, more than the whole budget for loading the model, so a model carries its own cut-down dictionary:
the words jieba found in the training texts plus every single character jieba knows. Only those words can
become features anyway, and on the training texts the best segmentation is the same (every word of the
full dictionary's best route is still there), so nothing is lost and loading takes milliseconds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

_FULL_LOCK = threading.Lock()


def _full_dictionary() -> tuple[dict[str, int], int]:
    with _FULL_LOCK:
        jieba.dt.check_initialized()
    return jieba.dt.FREQ, jieba.dt.total


class Segmenter:
    """jieba over a small dictionary; picklable (the dictionary is pickled, the tokenizer rebuilt)."""

    def __init__(self, freq: dict[str, int], total: int) -> None:
        self.freq = freq
        self.total = total
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @classmethod
    def for_texts(cls, texts: Iterable[str]) -> Segmenter:
        full, total = _full_dictionary()
        words = {word for text in texts for word in jieba.dt.lcut(text)}
        words |= {word for word, count in full.items() if len(word) == 1 and count}
        freq: dict[str, int] = {}
        for word in sorted(words):
            count = full.get(word, 0)
            if not count:
                continue  # found only by jieba's HMM for unknown words: the HMM finds it again
            freq[word] = count
            for end in range(1, len(word)):
                freq.setdefault(word[:end], 0)  # jieba's prefix entries, which its DAG walks
        return cls(freq, total)

    def __getstate__(self) -> dict[str, Any]:
        return {"freq": self.freq, "total": self.total}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["freq"], state["total"])  # type: ignore[misc]

    def _ready(self) -> Any:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    tokenizer = jieba.Tokenizer()
                    tokenizer.FREQ, tokenizer.total = self.freq, self.total
                    tokenizer.initialized = True
                    self._tokenizer = tokenizer
        return self._tokenizer

    def __call__(self, text: str) -> list[str]:
        return [word for word in self._ready().lcut(text) if word.strip()]


# Urgency cues: what makes an appeal urgent is a small set of situations (injury now, danger, a crowd,
# self-harm, heat stroke) said in many ways. With ~100 urgent examples the n-grams alone latch onto the
# topic (宿舍, 电动车) instead of the emergency; these groups give the model the emergency itself, and the
# "told about later" group lets it learn that 去年受过伤 is not an emergency.
CUES: dict[str, str] = {
    "bleeding": r"流血|出血|血流|是血|带血的|血一直|头破血流",
    "unconscious": r"昏迷|晕倒|晕了|晕过去|叫不醒|叫不应|喊不应|意识不清|不省人事|倒地|栽地上|抽搐|口吐白沫"
    r"|喘不上气|嘴唇发紫|一动不动|起不来|站不起来|动不了|走不了|动弹不得|剧痛",
    "heat": r"中暑|热射病|浑身发烫|身上烫|不出汗|晒晕",
    "self_harm": r"不想活|不活了|活着没意思|自杀|轻生|跳楼|跳下去|跳下来|跳江|跳河|从.{0,8}跳|割腕|安眠药"
    r"|遗书|结束自己|同归于尽|想死|怎么死|撑不下去|天台|楼顶|塔吊",
    "fire": r"着火|起火|火很大|火苗|冒烟|浓烟|爆炸|炸了|烧起来|烧到|烧伤|119|煤气泄漏|一氧化碳|中毒",
    "violence": r"拿刀|持刀|刀子|拿着刀|捅|砍人|棍子|围着打|在打|打起来|殴打|追着我|追我|抢劫|被抢|拖上|扣住"
    r"|推倒|砸(我|车|窗|门|东西)|打人|打得|动手",
    "crowd": r"[几数两二三四五六七八九十百千]*[十百千]多?[个名号]?(人|骑手|司机|快递员|工友|员工|兄弟|号人)"
    r".{0,16}(聚|围|堵|横幅|停运|停在|集体|讨|抗议|楼下|门口)|(一大帮|一帮|一群|大批|好多|很多)"
    r"(人|骑手|司机|快递员|工友)|聚集|围堵|堵路|堵死|堵着|门堵了|围着|拉横幅|集体停运"
    r"|情绪(很|非常|特别)?激动|场面.{0,4}控制不住",
    "injury": r"断了|骨折|撞了|被撞|撞倒|刮倒|受伤|伤口|摔倒|摔了|砸伤|砸了|压伤|烫伤|变形|肿得",
    "trapped": r"被困|困在|卡在|压住|压在.{0,3}下|关在|打不开|出不去",
    "now": r"现在|正在|刚才|刚刚|快来|救命|求救|马上|立即|赶紧|120|110|救护车|还在(外面|现场|找)"
    r"|今天(上午|下午|中午|晚上)?.{0,12}(摔|撞|刮|晕|被)",
    "later": r"去年|上次|以前|之前|上个月|个月前|已经好了|已经解决|调解了|想问|咨询|请问|有没有|能不能",
}


class Cues:
    """Analyzer: the names of the CUES groups the text contains. Picklable (patterns compiled lazily)."""

    def __init__(self, cues: dict[str, str] | None = None) -> None:
        self.cues = dict(cues or CUES)
        self._compiled: list[tuple[str, re.Pattern[str]]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"cues": self.cues}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["cues"])  # type: ignore[misc]

    def __call__(self, text: str) -> list[str]:
        if self._compiled is None:
            self._compiled = [(name, re.compile(pattern)) for name, pattern in self.cues.items()]
        found = [name for name, pattern in self._compiled if pattern.search(text)]
        if "now" in found:  # an emergency word with "now/just/help": a linear model cannot AND by itself
            found += [f"{name}+now" for name in found if name not in ("now", "later")]
        return found


def vectorizer(segmenter: Segmenter) -> Any:
    # scikit-learn is imported here, for training only: a loaded model classifies without it
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    # sublinear tf: a word said three times in an angry appeal is not three times the evidence
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer=segmenter, sublinear_tf=True)),
            # present or not, unscaled: one strong signal rather than a few hundred weak ones
            ("cues", TfidfVectorizer(analyzer=Cues(), binary=True, use_idf=False, norm=None)),
        ]
    )


class CharGrams:
    """Analyzer: character n-grams exactly as scikit-learn's analyzer="char" makes them (lower case,
    whitespace runs as one space, n from low to high)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def __call__(self, text: str) -> list[str]:
        text = _WHITESPACE.sub(" ", text.lower())
        size = len(text)
        return [
            text[i : i + n] for n in range(self.low, min(self.high, size) + 1) for i in range(size - n + 1)
        ]


_WHITESPACE = re.compile(r"\s\s+")


def _analyzer(vec: Any) -> Any:
    if vec.analyzer == "char":
        if vec.preprocessor is not None or not vec.lowercase or vec.strip_accents is not None:
            raise ValueError("only plain lower-cased character n-grams are supported")
        return CharGrams(*vec.ngram_range)
    if callable(vec.analyzer) and vec.input == "content":
        return vec.analyzer
    raise ValueError(f"unsupported analyzer {vec.analyzer!r}")


class LinearScorer:
    """The fitted TF-IDF union plus linear SVMs with sigmoid calibration, evaluated for one text in plain
    numpy: scikit-learn's per-call checks cost ~3 ms per appeal, this ~0.3 ms, and a pickled scorer loads
    without importing scikit-learn (~0.7 s saved per process). The results equal scikit-learn's (tests
    compare them); scikit-learn stays the trainer and the reference."""

    def __init__(self, features: Any, heads: list[Any]) -> None:
        # per vectorizer: vocabulary, idf (ones without idf), column offset, sublinear tf, binary, l2 norm
        self.parts: list[tuple[dict[str, int], np.ndarray, int, bool, bool, bool]] = []
        offset = 0
        for _name, vec in features.transformer_list:
            if vec.norm not in ("l2", None):
                raise ValueError(f"unsupported norm {vec.norm!r}")
            vocabulary = {str(term): int(col) for term, col in vec.vocabulary_.items()}
            size = len(vocabulary)
            idf = np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else np.ones(size)
            self.parts.append((vocabulary, idf, offset, vec.sublinear_tf, vec.binary, vec.norm == "l2"))
            offset += size
        self.analyzers = [_analyzer(vec) for _name, vec in features.transformer_list]
        self.classes = [[str(c) for c in head.classes_] for head in heads]
        weights: list[np.ndarray] = []
        intercepts: list[np.ndarray] = []
        slopes: list[float] = []
        shifts: list[float] = []
        self.head_sizes: list[int] = []
        for head in heads:
            calibrated = head.calibrated_classifiers_[0]  # ensemble=False: one SVM, one calibrator per class
            svm = calibrated.estimator
            coef = np.atleast_2d(svm.coef_)
            weights.append(coef)
            intercepts.append(np.atleast_1d(svm.intercept_))
            slopes.extend(c.a_ for c in calibrated.calibrators)
            shifts.extend(c.b_ for c in calibrated.calibrators)
            self.head_sizes.append(coef.shape[0])
        self.weights = np.ascontiguousarray(np.vstack(weights).T)  # (features, heads' columns)
        self.intercepts = np.concatenate(intercepts)
        self.slopes = np.asarray(slopes, dtype=np.float64)
        self.shifts = np.asarray(shifts, dtype=np.float64)

    def calibrated(self, text: str) -> list[np.ndarray]:
        """Per head: its calibrated class probabilities (multiclass rows sum to 1; binary → [p0, p1])."""
        columns: list[int] = []
        values: list[float] = []
        for analyzer, (vocabulary, idf, offset, sublinear, binary, l2) in zip(
            self.analyzers, self.parts, strict=True
        ):
            counts: dict[int, int] = {}
            for term in analyzer(text):
                col = vocabulary.get(term)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if binary:
                tf = np.ones_like(tf)
            if sublinear:
                tf = 1.0 + np.log(tf)
            weighted = tf * idf[cols]
            if l2:
                weighted /= np.sqrt(weighted @ weighted)
            columns.extend((cols + offset).tolist())
            values.extend(weighted.tolist())
        if columns:
            margins = np.asarray(values) @ self.weights[columns] + self.intercepts
        else:
            margins = self.intercepts.copy()
        calibrated = 1.0 / (1.0 + np.exp(self.slopes * margins + self.shifts))
        out: list[np.ndarray] = []
        start = 0
        for size in self.head_sizes:
            part = calibrated[start : start + size]
            start += size
            if size == 1:
                out.append(np.array([1.0 - part[0], part[0]]))
            else:
                total = part.sum()
                out.append(part / total if total > 0 else np.full(size, 1.0 / size))
        return out
