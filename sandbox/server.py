"""The sandbox app (Bot API + control API + chat page) and a runner for use inside another asyncio program."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from dataclasses import dataclass
from html import escape
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from sandbox.botapi import build_router
from sandbox.chaos import TRANSPORT
from sandbox.control import build_control_router
from sandbox.state import SandboxState

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("chat.html")


class SandboxApp(FastAPI):
    """The sandbox's FastAPI app; it hands each call its connection, so that chaos can cut it."""

    async def __call__(self, scope, receive, send) -> None:
        # uvicorn's `send` is a method of the request's cycle, which holds the connection's transport.
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[TRANSPORT] = transport
        await super().__call__(scope, receive, send)


def create_app(state: SandboxState | None = None) -> FastAPI:
    """Build the sandbox app around a state (a fresh one if none is given)."""
    state = state or SandboxState()
    app = SandboxApp(title="Telegram sandbox", docs_url="/sandbox/docs", openapi_url="/sandbox/openapi.json",
                  redoc_url=None)
    app.state.sandbox = state
    # The Bot API first: the bot's calls are most of the traffic, and routes are tried in order.
    app.include_router(build_router(state))
    app.include_router(build_control_router(state))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        html = PAGE.read_text(encoding="utf-8")
        if state.dashboard_url:
            link = (f'<a id="dashboard-link" href="{escape(state.dashboard_url)}/" target="_blank">网页工作台 ↗'
                    f'<small class="en">dashboard</small></a> 督查、领导、干部在聊天中发送 /dashboard 获取登录链接')
            html = html.replace("<!--DASHBOARD-->", link)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    return app


def listening_socket(host: str, port: int) -> socket.socket:
    """Return a bound TCP socket whose connections send small writes at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it every request waits ~40 ms on delayed ACKs.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host program's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class RunningSandbox:
    """A sandbox served in the current event loop."""

    base_url: str
    state: SandboxState
    server: uvicorn.Server
    task: asyncio.Task

    async def stop(self) -> None:
        """Stop serving: wake long polls so they answer now, then shut uvicorn down."""
        self.state.close()
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout=5)
        except asyncio.TimeoutError:
            log.warning("sandbox did not stop in time; forcing it")
            self.server.force_exit = True
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def __aenter__(self) -> RunningSandbox:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()


async def serve(host: str = "127.0.0.1", port: int = 0, state: SandboxState | None = None) -> RunningSandbox:
    """Start the sandbox on host:port (0 picks a free port) as a task in this loop; return it once it listens."""
    state = state or SandboxState()
    sock = listening_socket(host, port)
    config = uvicorn.Config(create_app(state), log_level="warning", lifespan="off", access_log=False,
                            timeout_graceful_shutdown=2)
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="sandbox-server")
    while not server.started:
        if task.done():
            sock.close()
            task.result()  # raises what stopped it
            raise RuntimeError("the sandbox server stopped before it started")
        await asyncio.sleep(0.01)
    bound_host, bound_port = sock.getsockname()[:2]
    base_url = f"http://{bound_host}:{bound_port}"
    log.info("sandbox serving at %s", base_url)
    return RunningSandbox(base_url=base_url, state=state, server=server, task=task)


class ThreadedSandbox:
    """A sandbox served by its own event loop in a background thread, for synchronous programs and
    session-wide test fixtures. Talk to it over HTTP only: its state belongs to that thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._running: RunningSandbox | None = None
        self._thread = threading.Thread(target=self._run, args=(host, port), name="sandbox", daemon=True)
        self._thread.start()
        self._started.wait(timeout=30)
        if self._running is None:
            raise RuntimeError("the sandbox thread did not start") from self._error

    def _run(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._running = self._loop.run_until_complete(serve(host, port))
        except BaseException as exc:  # handed to the starting thread, which raises it
            self._error = exc
            return
        finally:
            self._started.set()
        self._loop.run_forever()
        self._loop.close()

    @property
    def base_url(self) -> str:
        """Return the sandbox's base URL."""
        return self._running.base_url

    def stop(self) -> None:
        """Stop the server and its thread."""
        asyncio.run_coroutine_threadsafe(self._running.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def serve_in_thread(host: str = "127.0.0.1", port: int = 0) -> ThreadedSandbox:
    """Start the sandbox in a background thread (0 picks a free port) and return it once it listens."""
    return ThreadedSandbox(host, port)
