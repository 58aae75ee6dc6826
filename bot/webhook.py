"""Telegram's webhook: check the secret, handle the update, answer 200 only once its effects are committed.

Any other answer makes Telegram deliver the update again later, which is what an update whose
handling failed (the database unreachable, the process stopping) needs. An update delivered twice
acts once: the dispatcher's per-person lock (Redis with several processes) and the update's id,
committed with its effects, see to that.
"""
from __future__ import annotations

import hmac
import logging

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(dispatcher: Dispatcher, bot: Bot, path: str, secret: str) -> web.Application:
    """Return the web app that takes Telegram's updates at `path`."""

    async def take_update(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return web.Response(status=401, text="wrong or missing secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, ValidationError):
            log.warning("webhook: a request that is not an update was refused")
            return web.Response(status=400, text="not an update")
        try:
            await dispatcher.feed_update(bot, update)
        except Exception:
            log.exception("update %s could not be handled; Telegram will deliver it again", update.update_id)
            return web.Response(status=500, text="not handled; deliver again")
        return web.Response(status=200)

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=2**20)
    app.router.add_post(path, take_update)
    app.router.add_get("/healthz", health)
    return app
