"""A supervisor composes a broadcast: content → audience → when → preview → confirm."""
from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import Magic
from bot import keyboards
from bot.keyboards import PickCb
from bot.texts import esc, short, when
from bot.screens import edit, expect_text, where
from models import Person
from models import queries as q
from services import broadcasts, policies
from services.broadcasts import SENDERS
from services.config import ServiceConfig
from services.errors import InvalidInput

router = Router(name="broadcast")


class Compose(StatesGroup):
    content = State()
    text = State()
    audience = State()
    timing = State()
    at = State()
    cron = State()
    confirm = State()


@router.message(Command("broadcast"))
async def begin(message: Message, state: FSMContext, session: AsyncSession, person: Person):
    """Ask what to send: an explainer or free text."""
    if person.role not in SENDERS:
        await message.answer(_("Only supervisors and leaders send broadcasts."))
        return
    options = [(f"p.{a.slug}", "📖 " + a.title) for t in await policies.topics(session)
               for a in await policies.explainers_of(session, t)]
    options.append(("text", _("✏️ Write a message")))
    await state.set_state(Compose.content)
    await state.set_data({})
    await message.answer(_("What do you want to send?"), reply_markup=keyboards.picks("bcc", options, columns=1))


@router.callback_query(StateFilter(Compose.content), PickCb.filter(F.what == "bcc"))
async def pick_content(query: CallbackQuery, callback_data: PickCb, state: FSMContext, session: AsyncSession,
                       person: Person):
    """Take an explainer, or ask for the text."""
    await query.answer()
    if callback_data.value == "text":
        await state.set_state(Compose.text)
        await edit(query, _("Write the message (plain text)."))
        return
    await state.update_data(policy=callback_data.value[2:])
    await ask_audience(where(query), state, session, person)


@router.message(StateFilter(Compose.text), Magic(F.text & ~F.text.startswith("/")))
async def take_text(message: Message, state: FSMContext, session: AsyncSession, person: Person):
    """Keep the text and ask for the audience."""
    await state.update_data(text=broadcasts.check_text(message.text))
    await ask_audience(message, state, session, person)


async def ask_audience(message: MaybeInaccessibleMessage, state: FSMContext, session: AsyncSession, person: Person) -> None:
    options = [] if person.township_id else [("county", _("The whole county"))]
    for town in await q.townships(session):
        if person.township_id in (None, town.id):
            # Callback data may not hold ':'; the audience is spelled out again when picked.
            options.append((f"t.{town.name}", "🏘 " + town.name))
            options += [(f"v.{v.code}", "· " + v.name) for v in await q.villages_of(session, town.id)]
    await state.set_state(Compose.audience)
    await message.answer(_("Who should receive it?"), reply_markup=keyboards.picks("bca", options))


@router.callback_query(StateFilter(Compose.audience), PickCb.filter(F.what == "bca"))
async def pick_audience(query: CallbackQuery, callback_data: PickCb, state: FSMContext):
    """Keep the audience and ask when."""
    kind, _sep, value = callback_data.value.partition(".")
    audience = {"t": f"township:{value}", "v": f"village:{value}"}.get(kind, "county")
    await state.update_data(audience=audience)
    await state.set_state(Compose.timing)
    await query.answer()
    await edit(query, _("When?"), reply_markup=keyboards.picks("bct", [
        ("now", _("Now")), ("urgent", _("Now, as an urgent notice")), ("at", _("At a date and time")),
        ("cron", _("Repeating"))], columns=2))


@router.callback_query(StateFilter(Compose.timing), PickCb.filter(F.what == "bct"))
async def pick_timing(query: CallbackQuery, callback_data: PickCb, state: FSMContext, session: AsyncSession,
                      config: ServiceConfig):
    """Go to the preview, or ask for the date or the cron expression."""
    await query.answer()
    if callback_data.value == "at":
        await state.set_state(Compose.at)
        await edit(query, _("Write the date and time, e.g. 2026-12-01 09:00"))
    elif callback_data.value == "cron":
        await state.set_state(Compose.cron)
        await edit(query, _("Write a cron expression in local time, e.g. 0 9 * * 1 (Mondays 9:00)"))
    else:
        await state.update_data(urgent=callback_data.value == "urgent")
        await preview(where(query), state, session, config)


@router.message(StateFilter(Compose.at), Magic(F.text))
async def take_time(message: Message, state: FSMContext, session: AsyncSession, config: ServiceConfig, now):
    """Keep the date and time (local) and preview."""
    try:
        at = datetime.fromisoformat(message.text.strip()).replace(tzinfo=config.tz)
    except ValueError:
        raise InvalidInput("date") from None
    if at <= now:
        raise InvalidInput("revisit")
    await state.update_data(at=at.isoformat())
    await preview(message, state, session, config)


@router.message(StateFilter(Compose.cron), Magic(F.text))
async def take_cron(message: Message, state: FSMContext, session: AsyncSession, config: ServiceConfig, now):
    """Keep the cron expression and preview."""
    try:
        broadcasts.next_fire(message.text.strip(), now, config)
    except ValueError:
        raise InvalidInput("cron") from None
    await state.update_data(cron=message.text.strip())
    await preview(message, state, session, config)


async def preview(message: MaybeInaccessibleMessage, state: FSMContext, session: AsyncSession, config: ServiceConfig) -> None:
    data = await state.get_data()
    content = esc(short(data["text"], 800)) if data.get("text") else "📖 " + esc(
        (await policies.explainer(session, data["policy"])).title)
    timing = (_("repeating: {cron}").format(cron=esc(data["cron"])) if data.get("cron")
              else when(datetime.fromisoformat(data["at"]), config.tz) if data.get("at") else _("now"))
    lines = [_("<b>Preview</b>"), content, "", _("To: {audience}").format(audience=esc(data["audience"])),
             _("When: {timing}").format(timing=timing)]
    if data.get("urgent"):
        lines.append(_("⚠️ Urgent: it also reaches those who stopped routine notices."))
    await state.set_state(Compose.confirm)
    await message.answer("\n".join(lines), reply_markup=keyboards.picks("bcx", [
        ("send", _("✅ Confirm")), ("cancel", _("✖ Cancel"))]))


@router.callback_query(StateFilter(Compose.confirm), PickCb.filter(F.what == "bcx"))
async def confirm(query: CallbackQuery, callback_data: PickCb, state: FSMContext, session: AsyncSession,
                  person: Person, config: ServiceConfig, now):
    """Record the broadcast; the sender delivers it and reports back."""
    data = await state.get_data()
    await state.clear()
    await query.answer()
    if callback_data.value != "send":
        await edit(query, _("Cancelled."))
        return
    item = await broadcasts.create_broadcast(
        session, config, by=person, audience=data["audience"], now=now, text=data.get("text"),
        policy_slug=data.get("policy"), urgent=bool(data.get("urgent")), cron=data.get("cron"),
        at=datetime.fromisoformat(data["at"]) if data.get("at") else None)
    await edit(query, _("Broadcast #{id} is scheduled for {at}. You will get a report when it has been "
                                    "sent.").format(id=item.id, at=when(item.next_run_at, config.tz)))


@router.message(StateFilter(Compose.text))
@router.message(StateFilter(Compose.at))
@router.message(StateFilter(Compose.cron))
async def expecting_text(message: Message):
    """Ask for the message, the time or the expression as text."""
    await expect_text(message)


@router.message(StateFilter(Compose.content))
@router.message(StateFilter(Compose.audience))
@router.message(StateFilter(Compose.timing))
@router.message(StateFilter(Compose.confirm))
async def expecting_button(message: Message):
    """Point at the buttons."""
    await message.answer(_("Please use the buttons above, or /cancel to stop."))
