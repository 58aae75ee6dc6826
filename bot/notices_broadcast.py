"""Notices of broadcasts: the message to a household, and the report to its sender."""
from __future__ import annotations

from aiogram.methods import SendMessage
from aiogram.utils.i18n import gettext as _

from bot.buttons import Buttons
from bot.keyboards import PolicyCb
from bot.notices import notice
from bot.texts import esc, short
from models import Broadcast, PolicyArticle


@notice("broadcast")
async def broadcast(renderer, session, chat, person, case, payload):
    """Say the broadcast: its text, or an explainer's title and summary with a button to read it."""
    item = await session.get(Broadcast, payload["broadcast_id"])
    head = _("⚠️ <b>Urgent notice</b>") if item.urgent else _("📢 <b>Notice</b>")
    markup = None
    if item.policy_slug:
        article = await session.get(PolicyArticle, item.policy_slug)
        body = f"<b>{esc(article.title)}</b>\n{esc(short(article.summary, 800))}"
        kb = Buttons()
        kb.button(text=_("📖 Read it"), callback_data=PolicyCb(action="read", slug=article.slug))
        kb.button(text=_("🙋 I have a question"), callback_data=PolicyCb(action="ask", slug=article.slug))
        markup = kb.as_markup()
    else:
        body = esc(item.text)
    return [SendMessage(chat_id=chat, text=f"{head}\n\n{body}", reply_markup=markup)]


@notice("broadcast_report")
async def broadcast_report(renderer, session, chat, person, case, payload):
    """Tell the sender how their broadcast went."""
    text = _("📢 Broadcast #{id} (run {run}) is finished: delivered {delivered}, failed {failed}, "
             "unreachable {unreachable}.").format(id=payload["broadcast_id"], run=payload["run_no"],
                                                  delivered=payload["delivered"], failed=payload["failed"],
                                                  unreachable=payload["unreachable"])
    return [SendMessage(chat_id=chat, text=text)]
