"""Serve the web app with uvicorn inside the bot's event loop."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass

from collections.abc import Callable
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class BuiltOnFirstRequest:
    """An ASGI app that builds the real one on its first request.

    A bot that nobody browses does not carry FastAPI, the templates and the routes in memory.
    """

    def __init__(self, build: Callable[[], Any]):
        self.build, self.app = build, None

    async def __call__(self, scope, receive, send) -> None:
        if self.app is None:
            self.app = self.build()
        await self.app(scope, receive, send)


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host program's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningWeb:
    """The web app served as a task of the current loop, and the address it listens on."""

    host: str
    port: int
    server: uvicorn.Server
    task: asyncio.Task

    async def stop(self) -> None:
        """Stop serving, forcing it after a few seconds."""
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout=5)
        except (asyncio.TimeoutError, Exception):
            self.server.force_exit = True
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def serve_web(app, host: str, port: int) -> RunningWeb:
    """Bind host:port (0: a free port) and serve the app as a task; return once it listens.

    Raises OSError when the address cannot be bound (say, the port is taken).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2)
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web-server")
    while not server.started:
        if task.done():
            sock.close()
            task.result()
            raise RuntimeError("the web server stopped before it started")
        await asyncio.sleep(0.01)
    bound_host, bound_port = sock.getsockname()[:2]
    log.info("dashboard and Open311 serving on %s:%s", bound_host, bound_port)
    return RunningWeb(bound_host, bound_port, server, task)
