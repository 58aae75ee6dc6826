"""The operator's commands. Each brings the schema up to date first."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)


class CommandError(Exception):
    """A problem the operator can fix; printed as one line."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Mass-line case bot for a county.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve Telegram (needs BOT_TOKEN)")
    run.add_argument("--role", choices=("all", "web", "worker"), default="all",
                     help="web: take updates; worker: send the outbox and run the scheduled jobs; all: both")
    sandbox = sub.add_parser("sandbox", help="start the offline sandbox, a demo county and the bot")
    sandbox.add_argument("--port", type=int, default=None, help="sandbox port (default SANDBOX_PORT)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    directory = sub.add_parser("directory", help="the county directory").add_subparsers(dest="action", required=True)
    imp = directory.add_parser("import", help="load an .xlsx workbook or a folder of CSV files")
    imp.add_argument("path", type=Path)
    village = sub.add_parser("village", help="villages").add_subparsers(dest="action", required=True)
    link = village.add_parser("link", help="print a village's invitation link")
    link.add_argument("code")
    poster = village.add_parser("poster", help="write a printable poster (PNG, or PDF) with the village's QR code")
    poster.add_argument("code")
    poster.add_argument("--out", type=Path, default=None, help="file to write (.png or .pdf; default poster-CODE.png)")
    sub.add_parser("demo", help="load the demo county into the database")
    policy = sub.add_parser("policy", help="policy explainers").add_subparsers(dest="action", required=True)
    policy.add_parser("import", help="load or update the Markdown explainers of a folder").add_argument(
        "path", type=Path)
    broadcast = sub.add_parser("broadcast", help="broadcasts to households").add_subparsers(
        dest="action", required=True)
    send = broadcast.add_parser("send", help="record a broadcast; the running bot delivers it")
    content = send.add_mutually_exclusive_group(required=True)
    content.add_argument("--text")
    content.add_argument("--policy", metavar="SLUG")
    send.add_argument("--to", required=True, metavar="county|township:NAME|village:CODE")
    timing = send.add_mutually_exclusive_group()
    timing.add_argument("--at", metavar="ISO-DATETIME", help="local time unless it carries an offset")
    timing.add_argument("--cron", metavar="EXPR", help="repeat, in local time")
    send.add_argument("--urgent", action="store_true", help="also reach those who stopped routine notices")
    broadcast.add_parser("status", help="print a broadcast's counts").add_argument("id", type=int)
    broadcast.add_parser("list", help="list the scheduled and recent broadcasts")
    stats = sub.add_parser("stats", help="print the rates (response, closure, satisfaction ...) for a period")
    _period_options(stats)
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ledger = sub.add_parser("ledger", help="the ledger (台账)").add_subparsers(dest="action", required=True)
    export = ledger.add_parser("export", help="write the ledger as an .xlsx workbook")
    export.add_argument("file", type=Path)
    _period_options(export)
    apikey = sub.add_parser("apikey", help="keys of other systems for the Open311 API").add_subparsers(
        dest="action", required=True)
    apikey.add_parser("create", help="issue a key (printed once)").add_argument("name", help="the system, e.g. 12345热线")
    apikey.add_parser("list", help="list the keys (never the keys themselves)")
    apikey.add_parser("revoke", help="stop a key from working").add_argument("name")
    return p


def _period_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="start", type=_day, metavar="DATE",
                   help="first local day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_day, metavar="DATE",
                   help="local day after the last one, YYYY-MM-DD (the period is [from, to))")
    p.add_argument("--township", metavar="NAME", help="only this township")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def main(argv: list[str] | None = None) -> int:
    """Run one command; print a clear line, not a traceback, for what the operator can fix."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        from bot.logs import configure

        configure(settings.log_level, secrets=[settings.bot_token or ""])
        return asyncio.run(migrate_then(args, settings)) or 0
    except (SettingsError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def migrate_then(args, settings: Settings) -> int:
    """Bring the schema up to date (Alembic only when it is behind), then run the command."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    from bot.migrate import schema_is_current, upgrade

    try:
        if not await schema_is_current(settings.database_url):
            await asyncio.to_thread(upgrade, settings.database_url)
    except (OperationalError, DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise CommandError(f"cannot reach the database ({reason}); check DATABASE_URL and that the server "
                           "is running") from None
    return await dispatch(args, settings)


async def dispatch(args, settings: Settings) -> int:
    if args.command == "apikey":
        from bot import commands_apikey

        return await commands_apikey.dispatch(args, settings)
    if args.command in ("stats", "ledger"):
        from bot import commands_supervision

        return await commands_supervision.dispatch(args, settings)
    from bot import commands

    if args.command == "run":
        return await commands.run(settings, args.role)
    if args.command == "sandbox":
        return await commands.sandbox(settings, args.port)
    if args.command == "migrate":
        print("schema is up to date")
        return 0
    if args.command == "directory":
        return await commands.import_directory(settings, args.path)
    if args.command == "village" and args.action == "poster":
        return await commands.village_poster(settings, args.code, args.out or Path(f"poster-{args.code}.png"))
    if args.command == "village":
        return await commands.village_link(settings, args.code)
    if args.command in ("policy", "broadcast"):
        from bot import commands_broadcast

        return await commands_broadcast.dispatch(args, settings)
    if args.command == "demo":
        return await commands.demo(settings)
    return 2
