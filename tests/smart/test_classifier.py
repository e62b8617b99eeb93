"""The appeal classifier: corpus, bad input, top-3 shape, urgency, reproducibility, the live model."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shegong.appeals.data.categories import CATEGORIES
from shegong.smart import classifier, training
from shegong.smart.text import normalize

CODES = {str(c["code"]) for c in CATEGORIES}

pytestmark = pytest.mark.django_db  # the live model is the live TrainedModel row, if any


@pytest.fixture(scope="module")
def corpus() -> tuple[list[training.Example], list[training.Example]]:
    return training.seed_examples()


@pytest.fixture(scope="module")
def model(corpus: Any) -> training.Model:
    return training.train(corpus[0])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, model_dir: Path) -> Iterator[None]:
    # The seed model is cached under DATA_DIR/smart/: one folder per module, fresh from the first test.
    settings.DATA_DIR = model_dir
    classifier.reload()
    yield
    classifier.reload()


# --- the corpus --------------------------------------------------------------------------------------


def test_corpus_has_60_training_and_15_heldout_examples_per_category(corpus: Any) -> None:
    train, heldout = corpus
    assert set(Counter(e.category for e in train)) == CODES
    assert min(Counter(e.category for e in train).values()) >= 60
    assert min(Counter(e.category for e in heldout).values()) >= 15
    urgent_categories = {e.category for e in train if e.urgent}
    assert len(urgent_categories) >= 9
    assert sum(e.urgent for e in train) >= 60
    assert sum(e.urgent for e in heldout) >= 15


def test_heldout_is_disjoint_from_training(corpus: Any) -> None:
    train, heldout = corpus
    seen = {normalize(e.text) for e in train}
    assert not [e.text for e in heldout if normalize(e.text) in seen]
    assert len(seen) == len(train)  # no example twice


# --- any input classifies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😡🙏🚴‍♂️🛵",
        "The platform blocked my account and I have not been paid for two months.",
        "骑手" * 60_000,
        "？？？！！！……",
        "ＡＢＣ１２３",
        "\x00\x01控制字符",
    ],
    ids=["empty", "blank", "emoji", "english", "very-long", "punctuation", "fullwidth", "control"],
)
def test_any_text_classifies(text: str) -> None:
    prediction = classifier.classify(text)
    assert 1 <= len(prediction.top) <= 3
    assert all(code in CODES for code, _p in prediction.top)
    assert 0.0 <= prediction.urgent_probability <= 1.0
    assert prediction.model_version


@pytest.mark.parametrize("text", ["", "😀😀😀", "hello world", "？？？", "！！！", "……"])
def test_text_without_meaning_is_never_confident_nor_urgent(text: str) -> None:
    # automatic acceptance keys on the top probability: nothing to read must never pass it
    prediction = classifier.classify(text)
    assert prediction.top[0][1] < 0.5
    assert not prediction.urgent


def test_traditional_chinese_is_read_as_simplified() -> None:
    traditional = classifier.classify("站長拖欠我兩個月的工資，一共四千多塊，一直說下週發")
    simplified = classifier.classify("站长拖欠我两个月的工资，一共四千多块，一直说下周发")
    assert traditional.top[0][0] == simplified.top[0][0] == "WAGE"
    assert traditional.top == simplified.top


def test_very_long_text_is_fast() -> None:
    classifier.classify("")  # load first
    started = time.perf_counter()
    classifier.classify("平台封号" * 50_000)
    assert time.perf_counter() - started < 0.5


def test_top3_is_three_distinct_categories_best_first_summing_to_at_most_one() -> None:
    for text in ("小区保安不让骑手进，只能在门口等", "想考个电工证，有没有补贴", ""):
        top = classifier.classify(text).top
        codes = [code for code, _p in top]
        probabilities = [p for _code, p in top]
        assert len(top) == 3
        assert len(set(codes)) == 3
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert sum(probabilities) <= 1.0 + 1e-6


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("站点两个月没给我们发工资了，站长电话也不接", "WAGE"),
        ("平台说我异常行为把账号封了，申诉没人理", "PLATFORM"),
        ("送餐路上摔伤了腿，平台说众包不管医药费", "INSURANCE"),
        ("站长没签合同就把我辞退了，一分补偿都没有", "CONTRACT"),
        ("写字楼保安不让外卖员坐电梯，只能走楼梯", "ACCESS"),
        ("取餐时电动车停路边被城管贴条罚了五十", "PARKING"),
        ("附近的爱心驿站总锁着门，想喝口热水都没地方", "REST"),
        ("孩子要上小学了，没有本地户口怎么办", "LIVING"),
        ("最近压力大睡不着，想找个心理医生聊聊", "HEALTH"),
        ("顾客开门就骂我还推了我一把，我想报警", "DISPUTE"),
        ("想学个手艺考个证书，有没有免费培训", "SKILL"),
        ("我想加入工会，骑手能入会吗", "PARTICIPATION"),
    ],
)
def test_plain_appeals_get_their_category_first(text: str, code: str) -> None:
    assert classifier.classify(text).top[0][0] == code


@pytest.mark.parametrize(
    "text",
    [
        "我刚被车撞了，腿一直在流血，起不来，就在路口",
        "几十个骑手现在堵在站点门口讨工资，情绪很激动",
        "我真的不想活了，现在就站在楼顶上",
        "工友在路边晕倒了，浑身发烫，好像是中暑",
        "有人拿着刀在追我，我躲在商场厕所里",
        "出租屋楼下电动车充电起火了，楼道里全是烟",
    ],
    ids=["injury", "crowd", "self-harm", "heat-stroke", "danger", "fire"],
)
def test_urgent_appeals_are_flagged(text: str) -> None:
    prediction = classifier.classify(text)
    assert prediction.urgent, prediction


@pytest.mark.parametrize(
    "text",
    [
        "去年送餐摔伤过腿，现在已经好了，想问伤残鉴定怎么做",
        "想咨询一下灵活就业人员怎么交社保",
        "希望小区能给骑手开个通道，每次都要在门口等",
    ],
)
def test_ordinary_appeals_are_not_flagged(text: str) -> None:
    assert not classifier.classify(text).urgent


# --- training ----------------------------------------------------------------------------------------


def test_training_is_reproducible(corpus: Any, model: training.Model) -> None:
    again = training.train(corpus[0])
    texts = [e.text for e in corpus[1]]
    assert again.version == model.version
    assert again.urgent_threshold == model.urgent_threshold
    for text in texts:
        first, urgent_first = model.predict_one(text)
        second, urgent_second = again.predict_one(text)
        assert np.array_equal(first, second)
        assert urgent_first == urgent_second


def test_fast_path_equals_scikit_learn(corpus: Any, model: training.Model) -> None:
    texts = [e.text for e in corpus[1][:60]] + ["", "😀", "hello world"]
    reference, reference_urgent = model.predict_reference(texts)
    for text, expected, expected_urgent in zip(texts, reference, reference_urgent, strict=True):
        proba, urgent = model.predict_one(text)
        assert np.allclose(proba, expected, atol=1e-9)
        assert abs(urgent - expected_urgent) < 1e-9


def test_heldout_scores_reach_the_goals(corpus: Any, model: training.Model) -> None:
    metrics = training.evaluate(model, corpus[1])
    assert metrics.n == len(corpus[1])
    assert metrics.top1 >= 0.9
    assert metrics.top3 >= 0.97
    assert metrics.urgent_recall >= 0.95
    assert metrics.urgent_precision >= 0.7
    assert metrics.ms_per_item < 5  # the goal is 2 ms; generous here for a shared CI machine
    # calibrated: what the model says is close to how often it is right
    assert metrics.calibration_error < 0.1
    assert abs(metrics.confidence - metrics.top1) < 0.1


def test_the_model_file_classifies_like_the_trained_model_without_scikit_learn(
    corpus: Any, model: training.Model, tmp_path: Path
) -> None:
    path = tmp_path / "model.pkl"
    training.write_model(model, path)
    loaded = classifier._load_file(path)
    for example in corpus[1][:40]:
        proba, urgent = loaded.predict_one(example.text)
        expected, expected_urgent = model.predict_one(example.text)
        assert np.array_equal(proba, expected)
        assert urgent == expected_urgent
    assert loaded.classes == model.classes
    # A process that only classifies never imports scikit-learn (about 0.7 s of loading saved).
    script = (
        "import pickle, sys; from pathlib import Path; "
        "m = pickle.loads(Path(sys.argv[1]).read_bytes()); m.predict_one('站长欠薪'); "
        "print('sklearn' in sys.modules)"
    )
    done = subprocess.run(  # noqa: S603 — our interpreter, our script
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_training_needs_examples() -> None:
    with pytest.raises(ValueError, match="no examples"):
        training.train([])


# --- the live model ----------------------------------------------------------------------------------


def test_seed_model_is_built_on_first_use_cached_and_loaded_fast(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # a fresh machine, with a file an older release cached
    (tmp_path / "smart").mkdir()
    (tmp_path / "smart" / "seed-0000.pkl").write_bytes(b"from an older release")
    classifier.reload()
    built = classifier.classify("站长欠薪")
    cached = list((tmp_path / "smart").glob("seed-*.pkl"))
    assert [path.name for path in cached] != ["seed-0000.pkl"]
    assert len(cached) == 1
    classifier.reload()
    started = time.perf_counter()
    classifier.live_model()
    assert time.perf_counter() - started < 1.0
    assert classifier.classify("站长欠薪") == built


def test_concurrent_first_use_loads_one_model() -> None:
    results: list[Any] = []

    def work() -> None:
        results.append((classifier.live_model(), classifier.classify("平台超时罚款太多").top))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(m) for m, _top in results}) == 1
    assert len({tuple(top) for _m, top in results}) == 1


def test_save_live_makes_the_new_model_live_and_used(corpus: Any, model: training.Model) -> None:
    from shegong.smart.models import TrainedModel

    metrics = training.evaluate(model, corpus[1])
    first = training.save_live(model, metrics, seed_count=len(corpus[0]), history_count=0, note="first")
    assert classifier.classify("欠薪").model_version == first.version
    second = training.save_live(model, metrics, seed_count=len(corpus[0]), history_count=3)
    assert list(TrainedModel.objects.filter(is_live=True)) == [second]
    assert TrainedModel.objects.count() == 2
    assert classifier.classify("欠薪").model_version == second.version
    assert second.heldout_top1 == pytest.approx(metrics.top1)
    assert second.history_examples == 3


def test_a_tampered_live_file_is_not_loaded(
    corpus: Any, model: training.Model, model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = training.evaluate(model, corpus[1])
    row = training.save_live(model, metrics, seed_count=1, history_count=0)
    path = model_dir / row.path
    path.write_bytes(path.read_bytes() + b"tampered")
    classifier.reload()
    with caplog.at_level(logging.ERROR, logger="shegong.smart.classifier"):
        prediction = classifier.classify("平台封号")
    assert prediction.model_version.startswith("seed-")
    assert "cannot be loaded" in caplog.text
