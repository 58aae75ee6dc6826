"""End to end: the real bot process (`python -m bot run`) against the sandbox, over HTTP."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.sandbox_run import SANDBOX_TOKEN, register_people
from sandbox.client import SandboxClient
from sandbox.server import serve

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


class BotProcess:
    """The bot as an operator runs it, in a child process."""

    def __init__(self, base_url: str, database: Path, env: dict[str, str]):
        self.base_url, self.database, self.extra = base_url, database, env
        self.process: asyncio.subprocess.Process | None = None
        self.log = database.with_suffix(".log")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "REDIS_"))}
        # Any free port for the dashboard: tests run side by side and must not fight over 8082.
        env.update(BOT_TOKEN=SANDBOX_TOKEN, BOT_API_BASE=self.base_url, DATABASE_URL=f"sqlite:///{self.database}",
                   LOG_LEVEL="INFO", PYTHONUNBUFFERED="1", DASHBOARD_LISTEN="127.0.0.1:0")
        env.update(self.extra)
        return env

    async def command(self, *args: str) -> str:
        """Run another `python -m bot …` command on the same database and return its output."""
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=ROOT, env=self.env(),
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()
        return out.decode()

    async def start(self, client: SandboxClient) -> None:
        before = len(await client.calls("getUpdates"))
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=self.env(), stdout=log, stderr=log)
        for _ in range(600):
            if len(await client.calls("getUpdates")) > before:
                return
            if self.process.returncode is not None:
                raise AssertionError(f"bot exited: {self.log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)
        raise AssertionError("the bot did not start polling within 60s")

    async def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def sandbox():
    running = await serve()
    await register_people(running.base_url)
    client = SandboxClient(running.base_url)
    yield client
    await client.aclose()
    await running.stop()


@pytest.fixture
def bot_env() -> dict[str, str]:
    """Settings for the bot process; tests may add to it before starting the bot."""
    return {"SWEEP_INTERVAL": "1s"}


@pytest.fixture
async def bot(sandbox, tmp_path, bot_env):
    process = BotProcess(sandbox.base_url, tmp_path / "e2e.db", bot_env)
    await process.command("demo")
    await process.start(sandbox)
    yield process
    await process.stop()
    refusals = await sandbox.refusals()
    assert refusals == [], f"the bot made calls Telegram would refuse: {refusals}"
    unanswered = await sandbox.unanswered()
    assert unanswered == [], f"button presses the bot left unanswered: {unanswered}"
