"""CPU per update of the real dispatcher, in one process, against aiogram's echo floor: no HTTP, no sandbox.

    .venv/bin/python bench/update_cost.py [--villagers 100] [--relay 10] [--profile top|FILE.prof]
        [--database sqlite|postgresql://...]

The villagers go through the intake one update at a time (/start v_sq01, /new, category, a text,
下一步, 显示我的名字, 提交: 7 updates a report), then each sends --relay replies to their receipt,
through `bot.app.build_dispatcher` exactly as the running bot builds it, with a stand-in Bot session
that answers every call at once (no network, no checks). The floor is aiogram's Dispatcher with one
echo handler fed as many text updates through the same stand-in. CPU is the process's
(`time.process_time`, all threads). What this leaves out is
the HTTP of getUpdates and of the answers, which both bots pay alike; `bench/intake_relay.py`
measures the whole bot process against the sandbox. With --profile, cProfile runs over the intake
and relay phases and prints the top functions (or writes FILE.prof).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def stand_in_session():
    from aiogram.client.session.base import BaseSession
    from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, EditMessageText, SendMessage
    from aiogram.types import Chat, Message, User

    me = User(id=7000000001, is_bot=True, first_name="bot", username="bench_bot")

    class StandIn(BaseSession):
        """Answer each call at once; keep each chat's last message with buttons."""

        def __init__(self) -> None:
            super().__init__()
            self.ids = itertools.count(1)
            self.last_markup: dict[int, Message] = {}
            self.last: dict[int, Message] = {}
            self.calls = 0

        async def close(self) -> None:
            return None

        async def stream_content(self, *args, **kwargs):  # pragma: no cover
            raise NotImplementedError

        async def make_request(self, bot, method, timeout=None):
            self.calls += 1
            if isinstance(method, AnswerCallbackQuery):
                return True
            if isinstance(method, (SendMessage, EditMessageText, EditMessageReplyMarkup)):
                chat_id = int(method.chat_id)
                markup = method.reply_markup if getattr(method.reply_markup, "inline_keyboard", None) else None
                message = Message(message_id=getattr(method, "message_id", None) or next(self.ids),
                                  date=datetime.now(timezone.utc), chat=Chat(id=chat_id, type="private"),
                                  from_user=me, text=getattr(method, "text", None), reply_markup=markup)
                self.last[chat_id] = message
                if markup is not None:
                    self.last_markup[chat_id] = message
                return message
            return True

    return StandIn()


class Player:
    """Make updates as a villager would send them."""

    def __init__(self) -> None:
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)

    def text(self, user, text: str, reply_to=None):
        from aiogram.types import Chat, Message, Update

        message = Message(message_id=next(self.message_ids), date=datetime.now(timezone.utc), from_user=user,
                          chat=Chat(id=user.id, type="private"), text=text, reply_to_message=reply_to)
        return Update(update_id=next(self.update_ids), message=message)

    def press(self, user, message, label: str):
        from aiogram.types import CallbackQuery, Update

        data = next(b.callback_data for row in message.reply_markup.inline_keyboard for b in row if label in b.text)
        query = CallbackQuery(id=str(next(self.update_ids)), from_user=user, chat_instance="ci", data=data,
                              message=message)
        return Update(update_id=next(self.update_ids), callback_query=query)


async def prepare(url: str | None, tmp: Path):
    from bot.demo import load_demo
    from bot.migrate import upgrade
    from models.db import make_engine, make_sessionmaker

    url = url or f"sqlite:///{tmp / 'bench.db'}"
    if url.startswith("postgresql"):
        from sqlalchemy import text

        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        await load_demo(session, datetime.now(timezone.utc))
    return engine


def user_of(update):
    return (update.message or update.callback_query).from_user


def measure(label: str, count: int, cpu: float, wall: float, rows: list) -> None:
    rows.append((label, count, wall, count / wall, 1000 * cpu / count))


async def run(args) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.types import Message, User

    from bot.app import build_dispatcher
    from bot.settings import Settings
    from models.db import make_sessionmaker

    with tempfile.TemporaryDirectory() as tmp:
        engine = await prepare(args.database, Path(tmp))
        # Each villager sends more than FLOOD_LIMIT allows in a minute: the cost measured is the update's.
        config = Settings(_env_file=None, flood_limit="off").service_config()
        session = stand_in_session()
        bot = Bot(token="7000000001:" + "A" * 35, session=session)
        dp = build_dispatcher(sessionmaker=make_sessionmaker(engine), config=config,
                              clock=lambda: datetime.now(timezone.utc))
        statements: list[str] = []
        if args.statements:
            from sqlalchemy import event

            @event.listens_for(engine.sync_engine, "before_cursor_execute")
            def _count(conn, cursor, statement, parameters, context, executemany):
                statements.append(statement.split()[0] + " " + " ".join(statement.split()[1:6])[:70])
            event.listens_for(engine.sync_engine, "commit")(lambda conn: statements.append("COMMIT"))
        player = Player()
        users = [User(id=900_001 + i, is_bot=False, first_name=f"村民{i}", language_code="zh-hans")
                 for i in range(args.villagers)]
        rows: list = []
        profiler = cProfile.Profile() if args.profile else None
        receipts: dict[int, Message] = {}

        step_cpu: dict[str, list[float]] = {}

        def kind_of(update) -> str:
            return (update.message.text.split()[0][:12] if update.message else
                    ":".join(update.callback_query.data.split(":")[:2]))

        async def feed(update) -> None:
            before = len(statements)
            kind = kind_of(update)
            only = profiler is not None and args.profile_step == kind
            if only:
                profiler.enable()
            cpu = time.process_time()
            await dp.feed_update(bot, update)
            if only:
                profiler.disable()
            step_cpu.setdefault(kind, []).append(time.process_time() - cpu)
            if args.statements and user_of(update).id == users[0].id:
                kind = update.message.text[:20] if update.message else update.callback_query.data
                print(f"-- {kind}: {len(statements) - before} statements")
                for line in statements[before:]:
                    print("     ", line)

        # Warm up: one villager through everything, so first-use costs (imports, caches) are not measured.
        warm = User(id=899_999, is_bot=False, first_name="预热", language_code="zh-hans")
        for build in (lambda: player.text(warm, "/start v_sq01"), lambda: player.text(warm, "/new")):
            await feed(build())

        if profiler and not args.profile_step:
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        steps = 0
        for user in users:
            await feed(player.text(user, "/start v_sq01"))
            await feed(player.text(user, "/new"))
            await feed(player.press(user, session.last_markup[user.id], "环境污染"))
            await feed(player.text(user, "村口的河被排污染黑了"))
            await feed(player.press(user, session.last_markup[user.id], "下一步"))
            await feed(player.press(user, session.last_markup[user.id], "显示我的名字"))
            await feed(player.press(user, session.last_markup[user.id], "提交"))
            receipts[user.id] = session.last[user.id]
            steps += 7
        measure("ours: intake steps", steps, time.process_time() - cpu0, time.perf_counter() - wall0, rows)

        cpu0, wall0 = time.process_time(), time.perf_counter()
        relays = 0
        for _ in range(args.relay):
            for user in users:
                await feed(player.text(user, "补充情况：今天又排了一次", reply_to=receipts[user.id]))
                relays += 1
        if relays:
            measure("ours: relay (accepted)", relays, time.process_time() - cpu0, time.perf_counter() - wall0, rows)
        if profiler and not args.profile_step:
            profiler.disable()

        # The outbox the villagers filled (cards, alerts, relays), delivered by the bot's sender through the
        # same stand-in: claim, render, send, record, per row.
        from bot.delivery import OutboxSender
        from bot.i18n import make_i18n
        from bot.notices import Renderer

        sender = OutboxSender(bot, make_sessionmaker(engine), Renderer(make_i18n(), config.tz,
                                                                        lambda: datetime.now(timezone.utc)),
                              lambda: datetime.now(timezone.utc), rate=1_000_000, batch=200)
        if profiler and args.profile_step == "sender":
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        delivered = 0
        while count := await sender.deliver_due():
            delivered += count
        if profiler and args.profile_step == "sender":
            profiler.disable()
        if delivered:
            measure("ours: outbox rows delivered (sender)", delivered, time.process_time() - cpu0,
                    time.perf_counter() - wall0, rows)

        floor = Dispatcher()

        @floor.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "?")

        for _ in range(20):
            await floor.feed_update(bot, player.text(warm, "预热"))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(steps):
            await floor.feed_update(bot, player.text(users[i % len(users)], "你好"))
        measure("floor: aiogram echo", steps, time.process_time() - cpu0, time.perf_counter() - wall0, rows)
        await engine.dispose()

    print(f"\nupdate cost, in process, {engine.dialect.name}, {args.villagers} villagers, {os.cpu_count()} CPUs\n")
    print("| measure | updates | wall s | per s | CPU ms/update |")
    print("|---|---:|---:|---:|---:|")
    for label, count, wall, rate, cpu in rows:
        print(f"| {label} | {count:,} | {wall:.2f} | {rate:.0f} | {cpu:.2f} |")
    floor_cpu = rows[-1][4]
    if args.steps:
        print("\n| step | count | CPU ms (median) |\n|---|---:|---:|")
        for kind, values in step_cpu.items():
            print(f"| {kind} | {len(values)} | {1000 * statistics.median(values):.2f} |")
    print(f"\nintake CPU/update vs floor: {rows[0][4] / floor_cpu:.1f}x")
    if profiler:
        if args.profile == "top":
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
        else:
            profiler.dump_stats(args.profile)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--villagers", "-U", type=int, default=100)
    p.add_argument("--relay", "-M", type=int, default=10)
    p.add_argument("--database", help="a PostgreSQL URL (default: a SQLite file in a temporary directory)")
    p.add_argument("--steps", action="store_true", help="print the median CPU of each kind of step")
    p.add_argument("--statements", action="store_true", help="print the SQL of the first villager's updates")
    p.add_argument("--profile", help="'top' to print the top functions, or a .prof file to write")
    p.add_argument("--profile-step", help="profile only this kind of step, as --steps names it (e.g. p:intake), or 'sender'")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
