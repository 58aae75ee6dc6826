"""Turn an outbox row into the Telegram calls that say it, in the recipient's language."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage, SendPhoto, SendVenue, SendVoice, SendDocument, SendVideo, TelegramMethod
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.cards import card
from bot.texts import (CAPTION_LIMIT, disposition_name, esc, person_label, rating_name, short, split_plain,
                       staff_label, when)
from models import Case, CaseMessage, OutboxMessage, Person
from models import queries as q
from services.views import card_extras
from models.enums import MessageKind

FILE_METHODS = {
    MessageKind.photo: (SendPhoto, "photo"),
    MessageKind.voice: (SendVoice, "voice"),
    MessageKind.document: (SendDocument, "document"),
    MessageKind.video: (SendVideo, "video"),
}


NoticeRenderer = Callable[["Renderer", AsyncSession, int, Person, "Case | None", dict], Awaitable[list]]
# Notice kinds rendered outside this module (reminders, digests, broadcasts) register here.
EXTRA_NOTICES: dict[str, NoticeRenderer] = {}


def notice(kind: str) -> Callable[[NoticeRenderer], NoticeRenderer]:
    """Register a renderer for a notice kind defined in another module."""
    def register(fn: NoticeRenderer) -> NoticeRenderer:
        EXTRA_NOTICES[kind] = fn
        return fn
    return register


class Renderer:
    """Render notices; one method per notice kind of the case conversation."""

    def __init__(self, i18n: I18n, tz: ZoneInfo, clock: Callable[[], datetime] | None = None):
        self.i18n, self.tz = i18n, tz
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    async def render(self, session: AsyncSession, row: OutboxMessage, person: Person) -> list[TelegramMethod]:
        """Return the calls for this row, or an empty list when there is nothing left to say."""
        payload = row.payload
        kind = payload["notice"]
        # A relay, the most frequent notice, reads one row of its own instead of the whole case.
        case = await q.case_by_id(session, row.case_id) if row.case_id and kind != "relay" else None
        chat = int(person.external_id)
        with self.i18n.context(), self.i18n.use_locale(person.language):
            if kind in EXTRA_NOTICES:
                return await EXTRA_NOTICES[kind](self, session, chat, person, case, payload)
            return await getattr(self, "_" + kind)(session, chat, person, case, payload)

    async def _case_card(self, session, chat, person, case: Case, payload) -> list[TelegramMethod]:
        headline = {
            "new": _("🆕 New case for you"),
            "escalated": _("⬆️ Case escalated to you"),
            "transferred": _("↪️ Case transferred to you"),
            "reopened": _("🔁 The villager is not satisfied; the case is reopened"),
            "revisit": _("🔁 A deferred case is due again"),
            "returned": _("↩️ The supervisor sent the case back; it is not struck off yet"),
            "helper": _("👥 You have been added to the team on this case"),
        }.get(payload.get("reason"), "")
        if payload.get("reason") == "escalated" and not payload.get("note"):
            headline += "\n" + _("Reason: overdue, escalated automatically")
        if payload.get("note"):
            headline += "\n" + _("Reason: {reason}").format(reason=esc(short(payload["note"], 300)))
        description = await q.description_of(session, case)
        markup = keyboards.case_actions(case) if person.id == case.owner_id else keyboards.helper_actions(case)
        calls: list[TelegramMethod] = [SendMessage(
            chat_id=chat, text=card(case, description, person.language, self.tz, headline,
                                    await card_extras(session, case)),
            reply_markup=markup,
        )]
        if payload.get("reason") in ("new", "escalated", "transferred", "helper"):
            header = f"【{case.number}】"
            calls += [m for p in description if p.kind != MessageKind.text for m in self._part(chat, p, header, case.number)]
        return calls

    async def _relay(self, session, chat, person, case: None, payload) -> list[TelegramMethod]:
        message = await q.relayed_message(session, payload["message_id"])
        if message is None:
            raise LookupError(f"case message {payload['message_id']} is gone")
        if message.author_id == message.reporter_id:
            who = _("villager") if message.anonymous else esc(message.reporter_name)
        else:
            who = staff_label(message.author_name, message.author_role)
        header = _("【{number}】{who}:").format(number=message.number, who=who)
        return self._part(chat, message, header, message.number, hint=_("<i>Reply to this message to answer.</i>"))

    def _part(self, chat: int, message: CaseMessage, header: str, number: str, hint: str = ""
              ) -> list[TelegramMethod]:
        kind = MessageKind(message.kind)
        if kind is MessageKind.text:
            pieces = split_plain(message.text or "")
            tail = f"\n\n{hint}" if hint else ""
            return [SendMessage(chat_id=chat, text=(f"{header}\n" if i == 0 else "") + esc(piece)
                                + (tail if i == len(pieces) - 1 else ""))
                    for i, piece in enumerate(pieces)]
        if kind is MessageKind.location:
            return [SendVenue(chat_id=chat, latitude=message.latitude, longitude=message.longitude,
                              title=_("Case {number}").format(number=number),
                              address=_("Location sent in the case"))]
        method, field = FILE_METHODS[kind]
        caption = header + ("\n" + esc(short(message.text, CAPTION_LIMIT - 200)) if message.text else "")
        return [method(chat_id=chat, caption=caption, **{field: message.file_id})]

    async def _feedback_prompt(self, session, chat, person, case: Case, payload) -> list[TelegramMethod]:
        text = _("<b>Case {number}</b> has been answered by {owner}: {disposition}.\n\n{note}\n\n"
                 "Is your problem really solved?").format(
            number=case.number, owner=person_label(case.owner), disposition=disposition_name(case.disposition),
            note=esc(short(case.resolution_note, 2500)))
        return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards.ratings(case.id))]

    async def _deferred_notice(self, session, chat, person, case: Case, payload) -> list[TelegramMethod]:
        text = _("<b>Case {number}</b> cannot be settled yet and is deferred until conditions allow.\n\n"
                 "{note}\n\nIt will be taken up again on {date}.").format(
            number=case.number, note=esc(short(case.resolution_note, 2500)), date=when(case.revisit_at, self.tz))
        return [SendMessage(chat_id=chat, text=text)]

    async def _case_update(self, session, chat, person, case: Case, payload) -> list[TelegramMethod]:
        what = payload.get("what")
        if what == "accepted":
            text = _("<b>Case {number}</b> has been taken on by {owner}.")
        elif what == "escalated":
            text = _("<b>Case {number}</b> has been passed up; {owner} handles it now. New deadline: {due}.")
        elif what == "extended":
            text = _("<b>Case {number}</b> needs more time: the new deadline is {due}. Reason: {note}")
        elif what == "revisit":
            text = _("<b>Case {number}</b> is taken up again by {owner}. New deadline: {due}.")
        elif what == "signed_off":
            text = _("✅ <b>Case {number}</b> has been checked by the supervisor and struck off the ledger (销号). "
                     "Thank you.")
        else:
            text = _("<b>Case {number}</b> has been handed to {owner}, who handles it now.")
        return [SendMessage(chat_id=chat, text=text.format(number=case.number, owner=person_label(case.owner),
                                                         due=when(case.due_at, self.tz),
                                                         note=esc(short(payload.get("note"), 500))))]

    async def _case_closed(self, session, chat, person, case: Case, payload) -> list[TelegramMethod]:
        if payload.get("reason") == "no_answer":
            text = _("✅ <b>Case {number}</b> is closed: the villager did not answer within the follow-up "
                     "window.").format(number=case.number)
        elif payload.get("reason") == "signed_off":
            text = _("✅ <b>Case {number}</b> is signed off by the supervisor and struck off the ledger (销号). "
                     "The villager's verdict: {rating}.").format(number=case.number, rating=rating_name(case.rating))
        else:
            text = _("✅ <b>Case {number}</b> is closed. The villager's verdict: {rating}.").format(
                number=case.number, rating=rating_name(case.rating))
        return [SendMessage(chat_id=chat, text=text)]



# The other notice kinds register themselves on import; importing them here makes every
# Renderer complete, whoever builds it. (Placed last: they import `notice` from this module.)
from bot import notices_broadcast, notices_campaign, notices_deadlines, notices_supervision  # noqa: E402, F401
