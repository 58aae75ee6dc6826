"""A round-robin reverse proxy standing in for nginx in front of several webhook processes.

Each request goes to the next backend; a backend that refuses the connection or drops it is
skipped for the next one, as nginx's `proxy_next_upstream error` does, and if none answers the
sandbox gets a 502 and delivers the update again later.
"""
from __future__ import annotations

import itertools
import logging

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)


class Balancer:
    """Forward POSTs to the backends in turn; started with `start()`, stopped with `stop()`."""

    def __init__(self, backends: list[str]):
        self.backends = list(backends)
        self.turn = itertools.count()
        self.forwarded: dict[str, int] = dict.fromkeys(self.backends, 0)
        self.http: aiohttp.ClientSession | None = None
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen, and return the base URL to give Telegram (the sandbox) as the webhook's host."""
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application(client_max_size=2**20)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        first = next(self.turn)
        for i in range(len(self.backends)):
            backend = self.backends[(first + i) % len(self.backends)]
            try:
                async with self.http.request(request.method, backend + request.path_qs, data=body,
                                             headers=headers) as response:
                    payload = await response.read()
                    self.forwarded[backend] += 1
                    return web.Response(status=response.status, body=payload)
            except (aiohttp.ClientConnectionError, OSError) as exc:
                log.info("backend %s failed (%s); trying the next", backend, exc)
        return web.Response(status=502, text="no backend answered")

    async def stop(self) -> None:
        """Stop listening and close the connections to the backends."""
        if self.runner is not None:
            await self.runner.cleanup()
        if self.http is not None:
            await self.http.close()
