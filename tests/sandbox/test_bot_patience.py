"""The bot's own Bot (bot.app.make_bot) against the sandbox: a button press answered twice is not a failure."""
from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import make_bot
from bot.settings import Settings
from tests.sandbox.conftest import TOKEN


@pytest.fixture
async def our_bot(sandbox):
    bot = make_bot(Settings(bot_api_base=sandbox.base_url), TOKEN)
    yield bot
    await bot.session.close()


async def pressed(bot, client, villager) -> str:
    """Send a button to the villager, have them press it, return the query id."""
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="下一步", callback_data="next")]])
    sent = await bot.send_message(villager.id, "请核对", reply_markup=markup)
    return await villager.press(sent.message_id, "下一步")


async def test_answering_a_press_again_after_a_crash_is_taken_as_done(our_bot, client, villager):
    query_id = await pressed(our_bot, client, villager)
    await our_bot.answer_callback_query(query_id)

    again = await our_bot.answer_callback_query(query_id)

    assert again is True


async def test_other_refusals_still_raise(our_bot, client, villager):
    with pytest.raises(TelegramBadRequest):
        await our_bot.send_message(villager.id, "")
