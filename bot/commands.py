"""What each `python -m bot` command does."""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path

from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import BotCommand
from aiogram.utils.i18n import lazy_gettext as __

from bot.app import App, build_app, utc_now
from bot.i18n import make_i18n
from bot.patience import patiently
from bot.cli import CommandError
from bot.collector import freeze_long_lived
from bot.dashboard import start_dashboard
from bot.demo import load_demo
from bot.settings import Settings
from scheduler import jobs, make_scheduler
from scheduler.briefing import send_weekly_briefing
from services.briefing import Thresholds
from scheduler.context import JobContext
from scheduler.leader import leadership_for
from models.db import make_engine, make_sessionmaker
from models import queries as q
from services.directory import import_directory as apply_directory
from services.directory import read_directory
from services.errors import DirectoryError

log = logging.getLogger(__name__)
PAIR_REMINDERS_AT = "0 9 * * *"

# The command menu, in every catalog's language (staff commands are marked as theirs).
COMMANDS = [
    ("new", __("Report a problem")), ("mycases", __("My cases")), ("policy", __("Policy explainers")),
    ("settings", __("Notice settings")), ("cases", __("Open cases (staff)")), ("diary", __("My diary (staff)")),
    ("overdue", __("Overdue cases (supervisors)")), ("risks", __("Early warnings (supervisors)")),
    ("signoff", __("Cases to sign off (supervisors)")), ("stats", __("Rates (supervisors)")),
    ("rank", __("Ranking (supervisors)")), ("ledger", __("Ledger (supervisors)")),
    ("broadcast", __("Send a broadcast (supervisors)")), ("muted", __("Muted villagers (supervisors)")), ("dashboard", __("Web dashboard (staff)")),
    ("help", __("Help")),
    ("cancel", __("Cancel the current step")),
]


# The updates the bot handles; anything else Telegram keeps to itself. An edit is answered that it is not
# taken; my_chat_member tells that a person blocked (or unblocked) the bot.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
ROLES = ("all", "web", "worker")


async def run(settings: Settings, role: str = "all") -> int:
    """Serve Telegram: take updates (long polling, or the webhook), run the jobs and the sender, or both."""
    if not settings.bot_token:
        raise CommandError("BOT_TOKEN is not set: put the token from @BotFather in .env (see .env.example), "
                           "or try the bot offline with `python -m bot sandbox`")
    app = await build_app(settings, settings.bot_token)
    await serve(app, role)
    return 0


async def serve(app: App, role: str = "all", dashboard_ready: Callable[[str], None] | None = None) -> None:
    """Check the token, then take updates and serve the dashboard (role web), send and sweep (role worker), or both."""
    try:
        me = await patiently(app.bot.me, "getMe")  # bot.me() keeps it: polling asks again
    except TelegramUnauthorizedError:
        await app.bot.session.close()
        raise CommandError("BOT_TOKEN was refused by the Bot API; copy it again from @BotFather") from None
    except TelegramNetworkError:
        await app.bot.session.close()
        raise CommandError(f"cannot reach the Bot API at {app.settings.bot_api_base}; check BOT_API_BASE "
                           "and the network") from None
    freeze_long_lived()
    log.info("serving as @%s (role %s, %s)", me.username, role,
             "webhook" if app.settings.webhook_url else "long polling" if role != "worker" else "no updates")
    background: list[asyncio.Task] = []
    scheduler = dashboard = None
    leadership = leadership_for(app.engine, every=max(0.5, app.settings.duration("sweep_interval").total_seconds() / 2))
    try:
        if role in ("all", "worker"):
            if app.engine.dialect.name == "sqlite":
                # The embedded default runs one process: claims left by a killed one can be taken back now.
                await app.sender.release_claims()
            background.append(asyncio.create_task(app.sender.run(), name="outbox"))
            background.append(asyncio.create_task(leadership.keep(), name="leadership"))
            scheduler = start_scheduler(app, leads=lambda: leadership.held)
        if role in ("all", "web"):
            dashboard = await start_dashboard(app)
            if dashboard is not None:
                app.dispatcher["dashboard_url"] = dashboard[1]
                log.info("dashboard at %s (staff log in with /dashboard in chat)", dashboard[1])
                if dashboard_ready is not None:
                    dashboard_ready(dashboard[1])
            await patiently(partial(set_command_menu, app), "setting the command menu")
            if app.settings.webhook_url:
                await serve_webhook(app)
            else:
                await patiently(app.bot.delete_webhook, "deleteWebhook")
                await poll(app)
        else:
            await until_stopped()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        # The sender lets its calls in flight end and records them; what it had not started goes back.
        await app.sender.stop()
        if background:
            await asyncio.wait(background, timeout=15)
        for task in background:
            task.cancel()
        if dashboard is not None:
            await dashboard[0].stop()
        await leadership.close()
        await app.bot.session.close()
        await app.engine.dispose()


async def set_command_menu(app: App) -> None:
    """Show the command menu in every catalog's language (staff commands are marked as theirs)."""
    i18n = make_i18n()
    for locale in i18n.available_locales:
        with i18n.context(), i18n.use_locale(locale):
            menu = [BotCommand(command=c, description=str(d)) for c, d in COMMANDS]
        # The default locale's menu is everyone's unless their client speaks another catalog's language.
        await app.bot.set_my_commands(menu, language_code=None if locale == i18n.default_locale else locale[:2])


async def serve_webhook(app: App) -> None:
    """Tell Telegram where to post updates, and take them there until stopped."""
    from aiohttp import web

    from bot.webhook import webhook_app

    settings = app.settings
    runner = web.AppRunner(webhook_app(app.dispatcher, app.bot, settings.webhook_path, settings.webhook_secret),
                           access_log=None, handle_signals=False)
    await runner.setup()
    host, port = settings.listen
    await web.TCPSite(runner, host, port).start()
    await patiently(partial(app.bot.set_webhook, settings.webhook_url, secret_token=settings.webhook_secret,
                            allowed_updates=ALLOWED_UPDATES), "setWebhook")
    log.info("taking updates at %s (listening on %s:%s)", settings.webhook_url, host, port)
    try:
        await until_stopped()
    finally:
        # Leave the webhook set: other processes may still take updates, and Telegram keeps them meanwhile.
        await runner.cleanup()


async def poll(app: App) -> None:
    """Take updates by long polling until stopped, acknowledging each only once it is done (bot/polling.py)."""
    from bot.polling import Polling

    stopped = asyncio.Event()
    signals = asyncio.ensure_future(until_stopped(stopped))
    try:
        await Polling(app.dispatcher, app.bot, allowed_updates=ALLOWED_UPDATES).run(stopped)
    finally:
        signals.cancel()


async def until_stopped(stopped: asyncio.Event | None = None) -> None:
    """Return on SIGINT or SIGTERM."""
    stopped = stopped or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        log.info("stopping")


def start_scheduler(app: App, leads=lambda: True):
    """Start the periodic sweeps and the cron jobs; the database says what is due, `leads` whether we run them."""
    ctx = JobContext(app.sessionmaker, app.config, app.clock, poke=app.sender.wakeup.set, leads=leads)
    sweep = app.settings.duration("sweep_interval").total_seconds()
    # Broadcasts "now" should not wait a whole deadline sweep interval.
    quick = min(sweep, 5.0)
    scheduler = make_scheduler(
        ctx, timezone=app.settings.tz,
        sweeps={"sweep_deadlines": (sweep, jobs.sweep_deadlines), "fan_out_broadcasts": (quick, jobs.fan_out_broadcasts),
                "report_broadcasts": (quick, jobs.report_broadcasts)},
        cron_jobs={
            "daily_digest": (app.settings.digest_at, jobs.send_daily_digest),
            # Pair-visit reminders once a day, in the morning rather than whenever the bot started.
            "pair_visits": (PAIR_REMINDERS_AT, jobs.remind_pair_visits),
            "weekly_briefing": (app.settings.briefing_at, partial(send_weekly_briefing, thresholds=Thresholds(
                satisfaction=app.settings.threshold_satisfaction, response=app.settings.threshold_response))),
        },
    )
    scheduler.start()
    return scheduler


async def import_directory(settings: Settings, path: Path) -> int:
    """Load the directory and print the invitation links of staff without a Telegram id."""
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await apply_directory(session, read_directory(path), utc_now())
    except DirectoryError as exc:
        for problem in exc.problems:
            print(f"  {problem}")
        raise CommandError(f"{len(exc.problems)} bad row(s); nothing was imported") from None
    finally:
        await engine.dispose()
    print(f"imported {report.villages} villages, {report.people} people, {report.categories} categories")
    for name, role, token in report.invitations:
        print(f"  {name} ({role}): https://t.me/{settings.bot_username}?start=c_{token}")
    return 0


async def _village(settings: Settings, code: str):
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            village = await q.village_by_code(session, code)
            township = village.township.name if village else ""
    finally:
        await engine.dispose()
    if village is None:
        raise CommandError(f"no village with code {code!r}; see the villages sheet of the directory")
    return village, township


def invitation_link(settings: Settings, code: str) -> str:
    """Return the link that registers a villager straight into the village."""
    return f"https://t.me/{settings.bot_username}?start=v_{code}"


async def village_link(settings: Settings, code: str) -> int:
    """Print the village's invitation link, for posters."""
    village, _township = await _village(settings, code)
    print(f"{village.name}: {invitation_link(settings, village.code)}")
    return 0


async def village_poster(settings: Settings, code: str, out: Path) -> int:
    """Write the village's printable poster: its name, its QR code and how to report."""
    from bot.poster import poster, save_poster

    if out.suffix.lower() not in (".png", ".pdf"):
        raise CommandError(f"{out} should end in .png or .pdf")
    village, township = await _village(settings, code)
    image = await asyncio.to_thread(poster, village.name, township, invitation_link(settings, village.code))
    await asyncio.to_thread(save_poster, image, out)
    print(f"poster of {village.name} written to {out}")
    return 0


async def demo(settings: Settings) -> int:
    """Load the demo county."""
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await load_demo(session, utc_now())
    finally:
        await engine.dispose()
    print(f"demo county loaded: {report.villages} villages, {report.people} people")
    return 0


async def sandbox(settings: Settings, port: int | None) -> int:
    """Start the sandbox, load the demo county and run the bot against it."""
    from bot.sandbox_run import run_sandbox

    return await run_sandbox(settings, settings.sandbox_port if port is None else port)
