"""`python -m bot apikey create|list|revoke`: the keys other systems post Open311 requests with."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.cli import CommandError
from bot.settings import Settings
from models.db import make_engine, make_sessionmaker
from services import api_keys
from services.errors import InvalidInput


async def dispatch(args, settings: Settings) -> int:
    """Create, list or revoke a key against the configured database."""
    now = datetime.now(timezone.utc)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if args.action == "create":
                try:
                    key = await api_keys.create_key(session, args.name, now)
                except InvalidInput as exc:
                    raise CommandError(f"a key named {args.name!r} exists already; revoke it or choose another name"
                                       if str(exc) == "taken" else "give the system a name of 1 to 100 characters"
                                       ) from None
                print(f"api_key for {args.name.strip()} (shown once; keep it secret):\n{key}")
            elif args.action == "list":
                keys = await api_keys.list_keys(session)
                if not keys:
                    print("no keys; issue one with `python -m bot apikey create NAME`")
                for key in keys:
                    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                    print(f"{key.name}\tcreated {key.created_at:%Y-%m-%d}\t{state}")
            else:
                try:
                    await api_keys.revoke_key(session, args.name, now)
                except InvalidInput:
                    raise CommandError(f"no key named {args.name!r}; see `python -m bot apikey list`") from None
                print(f"key {args.name} revoked")
    finally:
        await engine.dispose()
    return 0
