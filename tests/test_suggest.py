"""The category suggested from the villager's own words: accuracy on a labelled set, and where it shows."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from services.categories import DEFAULT_CATEGORIES
from services.suggest import FALLBACK, CategoryInfo, SuggestionModel, grams
from tests.harness import Harness

REPORTS = Path(__file__).parent / "data" / "category_reports.tsv"
CATEGORIES = [CategoryInfo(c.code, c.name_zh, c.name_en) for c in DEFAULT_CATEGORIES]
# Measured on the labelled set (213 reports): 75.1% with the shipped words alone, 79.4% / 78.3% in the two
# folds where the other half serves as past cases. The floors leave a margin of about five points.
FLOOR_WORDS_ONLY = 0.70
FLOOR_WITH_PAST_CASES = 0.73


def labelled() -> list[tuple[str, str]]:
    lines = [line.rstrip("\n") for line in REPORTS.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    return [tuple(line.split("\t", 1)) for line in lines[1:]]


def accuracy(model: SuggestionModel, reports: list[tuple[str, str]]) -> float:
    """Top-1 accuracy; no suggestion counts as right only for "other"."""
    return sum((model.suggest(text) or FALLBACK) == code for code, text in reports) / len(reports)


def test_the_labelled_set_has_at_least_200_reports_of_every_category():
    reports = labelled()

    assert len(reports) >= 200
    assert {code for code, _text in reports} == {c.code for c in DEFAULT_CATEGORIES}


def test_the_shipped_words_alone_suggest_the_right_category_for_most_reports():
    assert accuracy(SuggestionModel(CATEGORIES), labelled()) >= FLOOR_WORDS_ONLY


def test_past_cases_teach_the_suggestion():
    reports = labelled()
    random.Random(1).shuffle(reports)
    half = len(reports) // 2

    folds = [accuracy(SuggestionModel(CATEGORIES, train), test)
             for train, test in ((reports[:half], reports[half:]), (reports[half:], reports[:half]))]

    assert min(folds) >= FLOOR_WITH_PAST_CASES


@pytest.mark.parametrize(("text", "expected"), [
    ("", None),
    ("？？？", None),
    ("村口的河被工厂排污染黑了", "environment"),
    ("请问养老保险怎么领", "policy"),
])
def test_words_without_anything_to_go_on_get_no_suggestion(text, expected):
    assert SuggestionModel(CATEGORIES).suggest(text) == expected


def test_an_imported_category_is_known_by_its_name():
    model = SuggestionModel(CATEGORIES + [CategoryInfo("water", "饮水安全")])

    assert model.suggest("我们组的饮水有问题") == "water"


def test_grams_are_characters_and_pairs_of_each_run_of_letters():
    assert grams("河水 发臭!") == ["河", "水", "河水", "发", "臭", "发臭"]


ZHANG = Harness.person(3001, "张大爷")


async def test_a_loose_message_shows_the_suggested_category_first(chat):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "昨晚我家的电动车在院子里被人偷了")

    first = chat.last(ZHANG).reply_markup.inline_keyboard[0][0].text
    assert first == "💡社会治安" and "猜的" in chat.last(ZHANG).text


async def test_words_first_then_the_category_with_the_suggestion_then_the_usual_steps(chat, sessionmaker):
    await chat.say(ZHANG, "/start v_sq01")
    await chat.say(ZHANG, "/new")
    await chat.press(ZHANG, "先说事情")
    await chat.say(ZHANG, "邻居把围墙砌到了我家的宅基地上")
    await chat.press(ZHANG, "下一步")
    suggested = chat.last(ZHANG).reply_markup.inline_keyboard[0][0].text
    await chat.press(ZHANG, "产权纠纷")
    await chat.press(ZHANG, "显示我的名字")
    await chat.press(ZHANG, "提交")

    assert suggested == "💡产权纠纷"
    assert "2026-000001" in chat.find(ZHANG, contains="案件编号").text
    assert "宅基地" in chat.find(Harness.person(2004, "孙丽"), contains="宅基地").text
    assert chat.unanswered() == []
