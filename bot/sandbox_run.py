"""`python -m bot sandbox`: the stand-in Bot API, a demo county and the real bot, in one process."""
from __future__ import annotations

import logging
from pathlib import Path

import aiohttp

from bot.app import build_app, utc_now
from bot.commands import serve
from bot.demo import STAFF, VILLAGERS, load_demo
from bot.settings import Settings
from models.db import make_engine, make_sessionmaker
from services.policies import import_policies

log = logging.getLogger(__name__)

SAMPLE_POLICIES = Path(__file__).resolve().parent.parent / "content" / "policies"
SANDBOX_TOKEN = "7000000001:SANDBOXsandboxSANDBOXsandboxSANDBOX"
ROLE_LABELS = {
    "cadre": "包村干部", "township_leader": "乡镇领导", "county_leader": "县领导",
    "supervisor": "督查组", "inspector": "纪检监察",
}


async def run_sandbox(settings: Settings, port: int) -> int:
    """Serve the sandbox on 127.0.0.1, register the demo county's people, and run the bot on it."""
    from sandbox.server import serve as serve_sandbox

    engine = make_engine(settings.database_url)
    async with make_sessionmaker(engine)() as session:
        await load_demo(session, utc_now())
        await import_policies(session, SAMPLE_POLICIES, utc_now())
    await engine.dispose()

    running = await serve_sandbox(host="127.0.0.1", port=port)
    try:
        await register_people(running.base_url)
        print(f"\n  Sandbox ready: open {running.base_url}/ in a browser and chat as anyone in the demo county.\n",
              flush=True)
        app = await build_app(settings.model_copy(update={"bot_api_base": running.base_url}), SANDBOX_TOKEN)
        await serve(app, dashboard_ready=lambda url: _show_dashboard(running, url))
    finally:
        await running.stop()
    return 0


def _show_dashboard(running, url: str) -> None:
    """Link the dashboard from the chat page and tell the newcomer where it is."""
    running.state.dashboard_url = url
    print(f"  Dashboard: {url}/ — in the chat, pick 吴督查 (督查组) and send /dashboard for a login link.\n", flush=True)


async def register_people(base_url: str) -> None:
    """Make the demo's staff and villagers known to the sandbox chat page."""
    # Staff come with their accounts bound, as if they had opened their invitation: the bot may write first.
    people = [{"id": tg, "first_name": name, "language_code": "zh-hans", "label": ROLE_LABELS[role], "started": True}
              for name, role, tg, *_ in STAFF]
    people += [{"id": tg, "first_name": name, "language_code": lang, "label": "村民" if lang != "en" else "villager"}
               for tg, name, lang in VILLAGERS]
    async with aiohttp.ClientSession() as http:
        for person in people:
            async with http.post(f"{base_url}/sandbox/users", json=person) as response:
                response.raise_for_status()
