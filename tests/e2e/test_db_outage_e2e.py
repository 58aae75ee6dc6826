"""The database unreachable for 30 s mid-run: nothing acknowledged is lost, nothing is done twice.

The real bot process long-polls the sandbox and reaches PostgreSQL through a TCP proxy in this test.
The proxy is cut (open connections dropped, new ones dropped at once) for DB_OUTAGE_SECONDS (30 by
default, as in CI; set it lower for a quick local run) while villagers keep writing. When it is mended
the bot carries on by itself: every message sent during the outage reaches the cadre once and is stored
once, and a new report goes through.
"""
from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy import func, select, text

from tests.e2e.test_case_loop_e2e import report

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

OUTAGE = float(os.environ.get("DB_OUTAGE_SECONDS", "30"))
VILLAGERS = [(3101, "赵大伯"), (3102, "钱大婶"), (3103, "孙大哥")]
NEWCOMERS = [(3201, "周阿姨"), (3202, "吴小弟")]
FOLLOW_UPS = 3  # each villager adds this many lines to their case during the outage


class CuttableProxy:
    """Forward TCP connections to PostgreSQL; when cut, drop the open ones and every new one."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.up = True
        self.links: set[asyncio.StreamWriter] = set()
        self.dropped = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if not self.up:
            self.dropped += 1
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(self.host, self.port)
        except OSError:
            client_w.transport.abort()
            return
        self.links |= {client_w, server_w}
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))
        self.links -= {client_w, server_w}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    def cut(self) -> None:
        self.up = False
        for writer in list(self.links):
            writer.transport.abort()
        self.dropped += len(self.links)

    def mend(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def proxy():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set; the database outage test needs PostgreSQL")
    from sqlalchemy.engine import make_url

    from models.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    target = make_url(url)
    cuttable = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    port = await cuttable.start()
    cuttable.url = url
    cuttable.proxied_url = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    yield cuttable
    await cuttable.close()


@pytest.fixture
def bot_env(proxy) -> dict[str, str]:
    return {"SWEEP_INTERVAL": "1s", "DATABASE_URL": proxy.proxied_url}


async def until(done, who, timeout: float) -> None:
    """Wait until `done` holds for the texts the bot sent `who`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done([m.get("text") or "" for m in await who.messages() if m["from_bot"]]):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{who.first_name} did not get everything within {timeout:.0f} s")


async def test_a_30_second_database_outage_loses_and_doubles_nothing(sandbox, bot, proxy):
    from models import Case, CaseMessage, ProcessedUpdate
    from models.db import make_engine, make_sessionmaker

    wang = await sandbox.person(2001, "王建国")
    people = [await sandbox.person(uid, name) for uid, name in VILLAGERS]
    receipts = []
    for who in people:
        receipts.append((await report(sandbox, who, "环境污染", f"{who.first_name}家门口的沟堵了"))[1])
        await wang.wait_for(f"{who.first_name}家门口的沟堵了")

    proxy.cut()
    cut_at = time.monotonic()
    sent = []
    for round_no in range(FOLLOW_UPS):
        for who, receipt in zip(people, receipts):
            line = f"补充{round_no + 1}：{who.first_name}说水漫进院子了"
            await who.reply(receipt, line)
            sent.append(line)
        await asyncio.sleep(OUTAGE / (FOLLOW_UPS + 1))
    newcomers = [await sandbox.person(uid, name) for uid, name in NEWCOMERS]
    for who in newcomers:
        await who.start("v_sq01")
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - cut_at)))
    answered_during_outage = [m for who in newcomers for m in await who.messages() if m["from_bot"]]
    pending_at_mend = (await sandbox.webhook())["pending"]
    proxy.mend()
    mended_at = time.monotonic()

    await until(lambda texts: all(any(line in t for t in texts) for line in sent), wang, timeout=60)
    caught_up = time.monotonic() - mended_at
    for who in newcomers:
        await who.wait_for("有什么需要帮忙", timeout=30)
    late = await sandbox.person(3301, "郑大爷")
    await report(sandbox, late, "环境污染", "郑大爷家的井水浑了")
    await wang.wait_for("郑大爷家的井水浑了", timeout=30)
    await asyncio.sleep(2)  # anything sent twice would have arrived by now

    engine = make_engine(proxy.url)
    async with make_sessionmaker(engine)() as session:
        cases = await session.scalar(select(func.count()).select_from(Case))
        stored = dict((await session.execute(select(CaseMessage.text, func.count()).where(
            CaseMessage.text.in_(sent)).group_by(CaseMessage.text))).all())
        handled = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    await engine.dispose()
    to_cadre = [m.get("text") or "" for m in await wang.messages() if m["from_bot"]]
    welcomes = [m for who in newcomers for m in await who.messages()
                if m["from_bot"] and "有什么需要帮忙" in (m.get("text") or "")]
    print(f"\noutage {OUTAGE:.0f} s: {len(sent) + len(newcomers)} updates waited ({pending_at_mend} pending at mend), "
          f"{proxy.dropped} connection(s) dropped; all relayed {caught_up:.1f} s after the database came back; "
          f"{handled} updates handled in all")

    assert answered_during_outage == [] and pending_at_mend >= len(sent) + len(newcomers)
    assert cases == len(VILLAGERS) + 1
    assert stored == {line: 1 for line in sent}
    assert all(sum(line in t for t in to_cadre) == 1 for line in sent)
    assert len(welcomes) == len(newcomers)
    assert (await sandbox.webhook())["pending"] == 0
