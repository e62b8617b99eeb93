"""`shegong smart eval FILE.jsonl`: the table, the JSON last line, bad lines reported and skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from shegong import cli
from shegong.appeals.data.categories import CATEGORIES
from shegong.smart import classifier, training

pytestmark = pytest.mark.django_db

KEYS = {"eval", "n", "top1", "top3", "macro_f1", "urgent_recall", "urgent_precision", "ms_per_item"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(autouse=True)
def _english_and_own_data_dir(settings: Any, model_dir: Path) -> Iterator[None]:
    settings.DATA_DIR = model_dir
    classifier.reload()
    with translation.override("en"):
        yield
    classifier.reload()


def run(*args: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    with translation.override("en"):  # messages are asserted in their English msgids
        call_command("smart_eval", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def line(text: Any, category: Any = "WAGE", urgent: Any = False) -> str:
    return json.dumps({"text": text, "category": category, "urgent": urgent}, ensure_ascii=False)


def test_eval_prints_a_table_then_the_json_line(tmp_path: Path) -> None:
    path = tmp_path / "appeals.jsonl"
    path.write_text(
        "\n".join(
            [
                line("站长拖了我两个月工资，一直不给"),
                line("平台把我账号封了，申诉也没人理", "PLATFORM"),
                line("我被车撞了腿在流血，现在起不来", "INSURANCE", True),
                line("小区不让外卖员进，只能在门口等", "ACCESS"),
            ]
        ),
        encoding="utf-8",
    )
    out, err = run(str(path))
    assert err == ""
    result = json.loads(out[-1])
    assert set(result) == KEYS
    assert result["eval"] == "classify"
    assert result["n"] == 4
    assert result["top1"] == 1.0
    assert result["urgent_recall"] == 1.0
    assert result["ms_per_item"] > 0
    table = "\n".join(out[:-1])
    for category in CATEGORIES:
        assert category["code"] in table
    assert "precision" in table
    assert "recall" in table


def test_bad_lines_are_reported_with_their_numbers_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [
        line("站点押金一直不退"),  # 1 good
        "{not json",  # 2
        line("x", "NOPE"),  # 3 unknown category
        line("x", "WAGE", "yes"),  # 4 urgent not a boolean
        line(None),  # 5 text missing
        "",  # 6 blank: skipped silently
        "[1, 2]",  # 7 not an object
        line("", "REST"),  # 8 good: empty text classifies
        line("騎手在驛站喝不到熱水", "REST"),  # 9 good: traditional
    ]
    path.write_bytes("\n".join(rows).encode() + b"\n\xff\xfe broken bytes\n")  # 10: not UTF-8
    out, err = run(str(path))
    for number in (2, 3, 4, 5, 7, 10):
        assert f"line {number}:" in err
    for number in (1, 6, 8, 9):
        assert f"line {number}:" not in err
    assert "6 bad lines skipped" in err
    assert json.loads(out[-1])["n"] == 3


def test_heldout_split_evaluates(tmp_path: Path) -> None:
    out, _err = run("--heldout")
    result = json.loads(out[-1])
    assert result["n"] == len(training.seed_examples()[1])
    assert result["top1"] >= 0.9


def test_demo_texts_evaluate() -> None:
    out, _err = run("--demo")
    result = json.loads(out[-1])
    assert result["n"] >= 200
    assert result["top3"] >= 0.95


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give either"),
        (("--heldout", "--demo"), "not allowed with"),
    ],
)
def test_wrong_arguments_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("smart_eval", *args, stdout=StringIO(), stderr=StringIO())


def test_missing_file_and_file_without_usable_lines_are_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nothing.jsonl"))
    empty = tmp_path / "bad.jsonl"
    empty.write_text("oops\n\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No usable lines"):
        run(str(empty))


def test_cli_forwards_smart_name_to_the_management_command(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "manage", lambda argv: calls.append(argv) or 0)
    for argv in (
        ["smart", "eval", "f.jsonl"],
        ["smart", "retrain", "--dry-run"],
        ["smart", "eval", "--demo"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 0
    assert calls == [["smart_eval", "f.jsonl"], ["smart_retrain", "--dry-run"], ["smart_eval", "--demo"]]


def test_smart_help_explains_itself_in_english_and_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["smart", "--help"])
    out = capsys.readouterr().out
    assert "shegong smart eval FILE.jsonl" in out
    assert "智能分类" in out
