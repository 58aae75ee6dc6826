"""Buttons lays keyboards out exactly as aiogram's InlineKeyboardBuilder does, without copying them."""
from __future__ import annotations

import pytest
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.buttons import Buttons
from bot.keyboards import CaseCb


@pytest.mark.parametrize(("count", "sizes"), [
    (0, None), (1, None), (8, None), (9, None), (17, None),
    (1, (1,)), (5, (1,)), (3, (1, 2)), (7, (2,)), (5, (2, 1)), (6, (2, 2, 1)), (2, (3, 1, 1)), (10, (3,)),
    (4, (3, 1)), (12, (8,)),
])
def test_buttons_lay_out_rows_as_aiogram_does(count, sizes):
    ours, theirs = Buttons(), InlineKeyboardBuilder()
    for i in range(count):
        for kb in (ours, theirs):
            kb.button(text=f"按钮{i}", callback_data=CaseCb(action="tl", case_id=i + 1))
    if sizes:
        ours.adjust(*sizes)
        theirs.adjust(*sizes)

    markup = ours.as_markup()

    assert markup.model_dump() == theirs.as_markup().model_dump()


@pytest.mark.parametrize("sizes", [(), (0,), (9,), (2, 0)])
def test_a_row_size_telegram_would_refuse_is_an_error(sizes):
    with pytest.raises(ValueError):
        Buttons().adjust(*sizes)


def test_callback_data_is_packed_once_into_its_string():
    kb = Buttons().button(text="✋ 接单", callback_data=CaseCb(action="acc", case_id=7)).button(text="x", callback_data="raw")

    assert [b.callback_data for b in kb.as_markup().inline_keyboard[0]] == ["c:acc:7:", "raw"]
