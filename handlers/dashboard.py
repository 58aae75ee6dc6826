"""/dashboard: a one-time link (10 minutes) that logs a staff member in to the web dashboard."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import esc
from models import Person
from services.web_auth import issue_login_link, may_use_dashboard

router = Router(name="dashboard")
DEFAULT_URL = "http://127.0.0.1:8082"


@router.message(Command("dashboard"))
async def dashboard_link(message: Message, session: AsyncSession, person: Person, now,
                         dashboard_url: str | None = None):
    """Send a staff member a one-time login link to the dashboard; refuse villagers politely."""
    if not may_use_dashboard(person):
        await message.answer(_("The web dashboard is for cadres, leaders and supervisors. Your own cases are "
                               "under /mycases."))
        return
    token = await issue_login_link(session, person, now)
    link = f"{(dashboard_url or DEFAULT_URL).rstrip('/')}/login/{token}"
    # No preview: a preview fetcher opening the link would use it up before the person does.
    await message.answer(
        _("🖥 Your login link to the dashboard (works once, for 10 minutes):\n{link}\n\nDo not forward it: "
          "whoever opens it is logged in as you.").format(link=f'<a href="{esc(link)}">{esc(link)}</a>'),
        link_preview_options=LinkPreviewOptions(is_disabled=True))
