"""Drive the real dispatcher with real updates, and deliver the outbox to a fake Telegram."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

from aiogram.types import (
    CallbackQuery, Chat, Location, MaybeInaccessibleMessage, Message, PhotoSize, Sticker, Update, User, Voice,
)

from bot.app import build_dispatcher
from bot.delivery import OutboxSender
from bot.i18n import make_i18n
from bot.notices import Renderer
from tests.fakebot import FakeTelegram, make_bot


# Update ids are unique across harnesses, as they are across restarts of a real bot.
UPDATE_IDS = itertools.count(1)


class Harness:
    """Play people in chat and look at what the bot sent them."""

    def __init__(self, sessionmaker, clock, config, storage=None, isolation=None, guard=None, on_commit=None):
        self.fake = FakeTelegram()
        self.bot = make_bot(self.fake)
        self.clock, self.config = clock, config
        self.dp = build_dispatcher(sessionmaker=sessionmaker, config=config, clock=clock, storage=storage,
                                   isolation=isolation, guard=guard, on_commit=on_commit)
        self.sender = OutboxSender(self.bot, sessionmaker, Renderer(make_i18n(), config.tz, clock), clock, rate=10_000)
        self._ids = UPDATE_IDS
        self._message_ids = itertools.count(1)
        self.callbacks: list[str] = []

    @staticmethod
    def person(user_id: int, name: str, language: str = "zh-hans") -> User:
        return User(id=user_id, is_bot=False, first_name=name, language_code=language)

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)
        await self.feed_nothing()

    async def feed_nothing(self) -> None:
        """Deliver whatever the outbox holds (after a job queued something)."""
        while await self.sender.deliver_due():
            pass

    def _message(self, user: User, chat: Chat | None = None, **fields) -> Message:
        return Message(message_id=next(self._message_ids), date=datetime.now(timezone.utc), from_user=user,
                       chat=chat or Chat(id=user.id, type="private"), **fields)

    async def say(self, user: User, text: str | None = None, *, reply_to: Message | None = None,
                  photo: str | None = None, location: tuple[float, float] | None = None,
                  sticker: bool = False, voice: str | None = None, caption: str | None = None,
                  chat: Chat | None = None) -> None:
        """Send as `user`, in their private chat unless another `chat` (a group) is given."""
        fields: dict = {"text": text, "reply_to_message": reply_to, "caption": caption, "chat": chat}
        if photo:
            fields["photo"] = [PhotoSize(file_id=photo, file_unique_id=photo, width=10, height=10)]
        if voice:
            fields["voice"] = Voice(file_id=voice, file_unique_id=voice, duration=3)
        if location:
            fields["location"] = Location(latitude=location[0], longitude=location[1])
        if sticker:
            fields["sticker"] = Sticker(file_id="stk", file_unique_id="stk", type="regular", width=1, height=1,
                                        is_animated=False, is_video=False)
        await self.feed(Update(update_id=next(self._ids), message=self._message(user, **fields)))

    async def press(self, user: User, label: str, message: MaybeInaccessibleMessage | None = None,
                    data: str | None = None) -> str:
        """Press the button whose text contains `label` on the latest message that has it."""
        message = message or self.find(user, button=label)
        if data is None:
            data = self.button_data(message, label)
        query_id = f"q{next(self._ids)}"
        self.callbacks.append(query_id)
        query = CallbackQuery(id=query_id, from_user=user, chat_instance="ci", data=data, message=message)
        await self.feed(Update(update_id=next(self._ids), callback_query=query))
        return query_id

    def inbox(self, user: User) -> list[Message]:
        return self.fake.chats.get(user.id, [])

    def texts(self, user: User) -> list[str]:
        return [m.text or m.caption or (m.venue.title if m.venue else "") for m in self.inbox(user)]

    def last(self, user: User) -> Message:
        return self.inbox(user)[-1]

    def find(self, user: User, contains: str | None = None, button: str | None = None) -> Message:
        """Return the latest message to `user` with that text or that button."""
        for message in reversed(self.inbox(user)):
            body = message.text or message.caption or ""
            buttons = [b.text for row in (message.reply_markup.inline_keyboard if message.reply_markup else [])
                       for b in row]
            if (contains is None or contains in body) and (button is None or any(button in b for b in buttons)):
                return message
        raise AssertionError(f"no message with {contains or button!r}; got {self.texts(user)}")

    @staticmethod
    def button_data(message: Message, label: str) -> str:
        """Return the callback data of the button whose text contains `label`."""
        return next(b.callback_data for row in message.reply_markup.inline_keyboard for b in row if label in b.text)

    def alerts(self) -> list[str]:
        return [c.params.get("text", "") for c in self.fake.calls if c.method == "answerCallbackQuery"]

    def refusals(self) -> list[tuple[str, str]]:
        return [(c.method, c.refusal) for c in self.fake.calls if c.refusal]

    def unanswered(self) -> list[str]:
        return [q for q in self.callbacks if q not in self.fake.answered]
