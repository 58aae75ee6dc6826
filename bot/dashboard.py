"""Wire the web app (dashboard, Open311) into the running bot: its database, clock, files and address."""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.cli import CommandError
from web.server import BuiltOnFirstRequest, RunningWeb, serve_web

log = logging.getLogger(__name__)


def telegram_files(bot: Bot):
    """Return a fetcher of case photos and files through the Bot API (getFile, then the download)."""
    async def fetch(file_id: str) -> tuple[bytes, str] | None:
        try:
            found = await bot.get_file(file_id)
            if not found.file_path:
                return None
            data = await bot.download_file(found.file_path)
        except (TelegramAPIError, OSError, TimeoutError) as exc:
            log.warning("could not fetch a case file from the Bot API: %s", type(exc).__name__)
            return None
        return (data.read() if data is not None else b""), found.file_path

    return fetch


async def start_dashboard(app) -> tuple[RunningWeb, str] | None:
    """Serve the web app on DASHBOARD_LISTEN; return it and its public URL (None when it is off)."""
    address = app.settings.dashboard_address
    if address is None:
        log.info("DASHBOARD_LISTEN is empty: no dashboard, no Open311")
        return None
    host, port = address
    # The web app reads its public URL only to tell whether cookies must be Secure (https).
    def build():
        from web.app import make_web_app

        return make_web_app(app.sessionmaker, app.config, app.settings.dashboard_url or f"http://{host}", app.clock,
                            telegram_files(app.bot))

    try:
        running = await serve_web(BuiltOnFirstRequest(build), host, port)
    except OSError as exc:
        raise CommandError(f"cannot serve the dashboard on {host}:{port} ({exc.strerror or exc}); set "
                           "DASHBOARD_LISTEN to a free host:port, or empty to turn it off") from None
    shown_host = f"[{running.host}]" if ":" in running.host else running.host
    return running, app.settings.dashboard_url or f"http://{shown_host}:{running.port}"
