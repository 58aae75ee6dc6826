"""`python -m bot policy …` and `python -m bot broadcast …`."""
from __future__ import annotations

from datetime import datetime

from bot.app import utc_now
from bot.cli import CommandError
from bot.settings import Settings
from models import Broadcast
from models.db import make_engine, make_sessionmaker
from services import broadcasts, policies
from services.errors import DirectoryError, DomainError


CLI_WORDS = {
    "audience": "--to must be county, township:NAME or village:CODE of the directory",
    "policy": "no explainer with that slug; load them with `python -m bot policy import DIR`",
    "cron": "--cron is not a cron expression (e.g. '0 9 * * 1')",
    "too_long": "--text is too long for one message",
    "broadcast_content": "give --text or --policy",
}


async def dispatch(args, settings: Settings) -> int:
    """Run one policy or broadcast command on a session of its own."""
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if args.command == "policy":
                return await import_policies(session, args)
            if args.action == "send":
                return await send(session, args, settings)
            if args.action == "status":
                return await status(session, args.id)
            return await listing(session, settings)
    except DirectoryError as exc:
        for problem in exc.problems:
            print(f"  {problem}")
        raise CommandError(f"{len(exc.problems)} bad file(s); nothing was imported") from None
    except DomainError as exc:
        raise CommandError(CLI_WORDS.get(str(exc), f"refused: {type(exc).__name__} {exc}".strip())) from None
    finally:
        await engine.dispose()


async def import_policies(session, args) -> int:
    """Load the explainers of a folder."""
    if not args.path.is_dir():
        raise CommandError(f"{args.path} is not a folder of .md files")
    count = await policies.import_policies(session, args.path, utc_now())
    print(f"imported {count} explainers")
    return 0


async def send(session, args, settings: Settings) -> int:
    """Record a broadcast and print its id."""
    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            raise CommandError(f"--at {args.at!r} is not a date and time like 2026-12-01T09:00") from None
        at = at if at.tzinfo else at.replace(tzinfo=settings.tz)
    item = await broadcasts.create_broadcast(
        session, settings.service_config(), by=None, audience=args.to, now=utc_now(), text=args.text,
        policy_slug=args.policy, at=at, cron=args.cron, urgent=args.urgent)
    print(item.id)
    return 0


async def status(session, broadcast_id: int) -> int:
    """Print a broadcast's counts."""
    if await session.get(Broadcast, broadcast_id) is None:
        raise CommandError(f"no broadcast #{broadcast_id}")
    tally = await broadcasts.counts(session, broadcast_id)
    print(f"queued {tally.queued}  delivered {tally.delivered}  failed {tally.failed}  "
          f"unreachable {tally.unreachable}")
    return 0


async def listing(session, settings: Settings) -> int:
    """Print the scheduled and recent broadcasts."""
    for item in await broadcasts.recent(session):
        what = f"policy:{item.policy_slug}" if item.policy_slug else (item.text or "")[:30].replace("\n", " ")
        nxt = item.next_run_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if item.next_run_at else "-"
        print(f"#{item.id}  to {item.audience}  next {nxt}  runs {item.runs}  {'URGENT ' if item.urgent else ''}"
              f"{'cron ' + item.cron + '  ' if item.cron else ''}{what}")
    return 0
