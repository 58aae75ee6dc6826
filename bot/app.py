"""Composition root: build the bot, the dispatcher, storage and the outbox sender from settings."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import (
    AnswerCallbackQuery, EditMessageReplyMarkup, EditMessageText, GetMe, GetUpdates, SendMessage, SendPhoto,
    SendVenue, SendVoice, SetMyCommands,
)
from aiogram.methods.base import Response
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.api_session import BotApiSession
from bot.delivery import OutboxSender, concurrency_for
from bot.flood import FLOOD_KEY, FloodMiddleware, LocalGuard, MuteMiddleware, RedisGuard
from bot.i18n import make_i18n
from bot.middlewares import DatabaseMiddleware, FailureMiddleware, IdentityMiddleware, PersonI18nMiddleware
from bot.notices import Renderer
from bot.patience import ForgivingCallbackAnswers
from bot.ratelimit import RATE_KEY, RateLimiter, SharedRateLimiter
from bot.settings import Settings
from bot.storage import SqlStorage
from handlers import include_all
from models.db import make_engine, make_sessionmaker
from services.config import ServiceConfig
from services.ranking import RankWeights
from services.suggest import CategorySuggester

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current moment, aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot
    dispatcher: Dispatcher
    sender: OutboxSender
    config: ServiceConfig
    clock: Clock


def build_dispatcher(*, sessionmaker: async_sessionmaker[AsyncSession], config: ServiceConfig, clock: Clock,
                     storage: BaseStorage | None = None,
                     isolation: BaseEventIsolation | None = None,
                     on_commit: Callable[[], None] | None = None,
                     guard: LocalGuard | RedisGuard | None = None) -> Dispatcher:
    """Return a dispatcher with the project's middlewares and routers."""
    if storage is None:
        # The embedded SQLite default has one process writing state, so it may remember what it committed.
        single_writer = sessionmaker.kw["bind"].dialect.name == "sqlite"
        storage = SqlStorage(sessionmaker, remember=50_000 if single_writer else 0)
    dp = Dispatcher(storage=storage, events_isolation=isolation or SimpleEventIsolation())
    # Update-level middlewares run after aiogram's own (errors, user context, FSM), in this order; the
    # flood limit first, so that what passes it costs no database work.
    i18n = make_i18n()
    guard = guard or LocalGuard(config.flood_limit)
    dp.update.outer_middleware(FloodMiddleware(guard, clock, i18n))
    dp.update.outer_middleware(DatabaseMiddleware(sessionmaker, clock, config, on_commit))
    dp.update.outer_middleware(IdentityMiddleware())
    PersonI18nMiddleware(i18n).setup(dp)
    for observer in (dp.message, dp.edited_message, dp.callback_query, dp.my_chat_member):
        observer.outer_middleware(FailureMiddleware())
    # A muted villager's messages go no further (their presses still answer the bot's questions).
    dp.message.outer_middleware(MuteMiddleware(guard, clock))
    include_all(dp)
    dp["suggester"] = CategorySuggester()
    return dp


# aiogram builds Response[T] for every answer and pydantic only caches those classes weakly, so they
# were rebuilt (milliseconds each) on most calls; holding the ones the bot uses keeps them cached.
_RESPONSE_TYPES = [Response[method.__returning__] for method in (
    SendMessage, SendPhoto, SendVoice, SendVenue, GetUpdates, AnswerCallbackQuery, EditMessageText,
    EditMessageReplyMarkup, GetMe, SetMyCommands)]


def make_bot(settings: Settings, token: str) -> Bot:
    """Return a Bot that talks to Telegram, or to BOT_API_BASE when set."""
    # Connections for every request the outbox sender keeps in flight, and room for the handlers' answers.
    connections = (settings.send_concurrency or concurrency_for(settings.broadcast_rate)) + 100
    session = BotApiSession(api=TelegramAPIServer.from_base(settings.bot_api_base), limit=connections,
                            timeout=settings.request_timeout)
    session.middleware(ForgivingCallbackAnswers())
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def build_app(settings: Settings, token: str, clock: Clock = utc_now) -> App:
    """Wire everything the running bot needs."""
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    config = settings.service_config()
    isolation = redis = None
    bot = make_bot(settings, token)
    limiter = RateLimiter(settings.broadcast_rate)
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        # A process killed while it held a person's lock frees it after this long, not aiogram's 60 s.
        isolation = RedisEventIsolation(redis, lock_kwargs={"timeout": 20})
        # Every sender of this bot, in any process, shares one send rate and every 429 pause.
        limiter = SharedRateLimiter(redis, settings.broadcast_rate, key=f"{RATE_KEY}:{bot.id}")
    sender = OutboxSender(bot, sessionmaker, Renderer(make_i18n(), config.tz, clock), clock,
                          rate=settings.broadcast_rate, concurrency=settings.send_concurrency, limiter=limiter)
    guard = LocalGuard(config.flood_limit)
    if redis is not None:
        # Every process counts a person's messages in one window.
        guard = RedisGuard(redis, config.flood_limit, prefix=f"{FLOOD_KEY}:{bot.id}")
    # Conversation state stays in the database even with Redis: it must be committed with the update it
    # belongs to. Kept in Redis, it was written as the handler ran, so a process killed before the update
    # committed left the person one step on, and the redelivered press was refused as stale.
    dp = build_dispatcher(sessionmaker=sessionmaker, config=config, clock=clock, isolation=isolation,
                          on_commit=sender.wakeup.set, guard=guard)
    if redis is not None:
        dp.shutdown.register(redis.aclose)
    dp["rank_weights"] = RankWeights.parse(settings.rank_weights)
    return App(settings, engine, sessionmaker, bot, dp, sender, config, clock)
