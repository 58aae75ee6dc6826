"""A local stand-in for the Telegram Bot API, with a chat page, for trying the bot offline and for tests.

    running = await sandbox.serve()              # in this loop; running.base_url, running.state
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(running.base_url)))
    ...
    await running.stop()

Names are imported lazily, so `from sandbox.rules import check_call` loads neither FastAPI nor uvicorn.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Refusal": "sandbox.rules", "check_call": "sandbox.rules", "visible_length": "sandbox.rules",
    "RunningSandbox": "sandbox.server", "ThreadedSandbox": "sandbox.server", "create_app": "sandbox.server",
    "serve": "sandbox.server", "serve_in_thread": "sandbox.server",
    "BOT_USER": "sandbox.state", "SandboxState": "sandbox.state",
    "SandboxClient": "sandbox.client", "Person": "sandbox.client",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import an exported name on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
