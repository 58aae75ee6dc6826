"""First contact: choose a village, bind a staff account, help, cancel, the main menu."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import MenuButton
from bot import keyboards
from bot.keyboards import PickCb, parse_id
from bot.screens import edit, where
from bot.texts import esc, role_name
from models import Person
from models import queries as q
from models.enums import Role
from services.intake import set_village
from services.people import bind_invitation

router = Router(name="start")


@router.message(CommandStart(deep_link=True, magic=F.args.startswith("c_")))
async def bind_staff(message: Message, command: CommandObject, session: AsyncSession, state: FSMContext, now):
    """Bind a staff account through a one-time invitation."""
    person = await bind_invitation(session, token=command.args[2:], channel="telegram",
                                   external_id=str(message.from_user.id),
                                   language_code=message.from_user.language_code, now=now)
    await state.clear()
    await message.answer(
        _("Welcome, {name} ({role}). New cases for you will arrive here; reply to a case to answer the "
          "villager.").format(name=esc(person.name), role=role_name(person.role)),
        reply_markup=keyboards.main_menu(person),
    )


@router.message(CommandStart(deep_link=True, magic=F.args.startswith("v_")))
async def start_in_village(message: Message, command: CommandObject, session: AsyncSession, person: Person,
                           state: FSMContext):
    """Register a villager straight into the village of the poster's link."""
    if person.role != Role.villager:
        await greet(message, person)
        return
    await state.clear()  # committed with the village, or dropped with it
    village = await set_village(session, person, command.args[2:])
    await message.answer(_("You are registered in {village}.").format(village=esc(village.name)))
    await greet(message, person)


@router.message(CommandStart())
async def start(message: Message, session: AsyncSession, person: Person, state: FSMContext):
    """Greet a known person, or ask a new villager for their township."""
    await state.clear()
    if person.role == Role.villager and person.village_id is None:
        await ask_township(message, session)
        return
    await greet(message, person)


async def ask_township(message: MaybeInaccessibleMessage, session: AsyncSession) -> None:
    towns = await q.townships(session)
    if not towns:
        await message.answer(_("The directory is empty; the county has not set up this bot yet."))
        return
    await message.answer(
        _("Hello! This is the county's service for hearing what villagers need.\nWhich township do you live in?"),
        reply_markup=keyboards.picks("town", [(str(t.id), t.name) for t in towns]),
    )


@router.callback_query(PickCb.filter(F.what == "town"))
async def pick_township(query: CallbackQuery, callback_data: PickCb, session: AsyncSession):
    """Show the villages of the chosen township."""
    township_id = parse_id(callback_data.value)
    if township_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    villages = await q.villages_of(session, township_id)
    await query.answer()
    if not villages:
        await where(query).answer(_("No villages found there. Please send /start again."))
        return
    await edit(query, _("Which village?"),
               reply_markup=keyboards.picks("vil", [(v.code, v.name) for v in villages], columns=3))


@router.callback_query(PickCb.filter(F.what == "vil"))
async def pick_village(query: CallbackQuery, callback_data: PickCb, session: AsyncSession, person: Person):
    """Register the villager in the chosen village."""
    if person.role != Role.villager:
        await query.answer(_("You are registered as staff."), show_alert=True)
        return
    village = await set_village(session, person, callback_data.value)
    await query.answer()
    await edit(query, _("You are registered in {village}.").format(village=esc(village.name)))
    await greet(where(query), person)


async def greet(message: MaybeInaccessibleMessage, person: Person) -> None:
    if person.role == Role.villager:
        text = _("What can we do for you? Press “Report a problem” to tell us about a difficulty, a dispute "
                 "or a question about a policy.")
    else:
        text = _("Hello, {name}. Your open cases: /cases").format(name=esc(person.name))
    await message.answer(text, reply_markup=keyboards.main_menu(person))


@router.message(Command("help"))
@router.message(MenuButton(__("❓ Help")))
async def show_help(message: Message, person: Person):
    """Explain in a few lines what the bot does."""
    if person.role == Role.villager:
        text = _("• /new — report a problem or ask a question\n• /mycases — your cases and their progress\n"
                 "• To answer a cadre, reply to their message\n• /cancel — stop what you are doing\n"
                 "• /start — choose your village again")
    else:
        text = _("• /cases — your open cases, nearest deadline first\n• Reply to a case card or a villager's "
                 "message to answer in chat\n• The buttons on a card accept, resolve, escalate or transfer it\n"
                 "• /cancel — stop what you are doing")
        text += "\n" + _("• /diary — log a household visit (民情日记)\n• 👥 Team and 📝 Note on a card: helpers "
                          "and notes; 🤝 Mediation on a dispute")
        text += "\n" + _("• /dashboard — a login link to the web dashboard")
        if person.role in (Role.supervisor, Role.township_leader, Role.county_leader):
            text += "\n" + _("• /overdue — overdue cases\n• /stats — the rates of your area\n• /rank — who is "
                              "ahead and who is behind\n• /ledger — the ledger spreadsheet\n• /broadcast — send a "
                              "notice to households")
            text += "\n" + _("• /risks — early warnings (风险研判)")
        if person.role == Role.supervisor:
            text += "\n" + _("• /signoff — cases waiting for your sign-off (销号)")
            text += "\n" + _("• /muted — muted villagers; /mute, /unmute, /allow (one more case) and /person take a "
                              "case number, @username or Telegram id, or use 👤 on a case card")
    await message.answer(text, reply_markup=keyboards.main_menu(person))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, person: Person):
    """Leave whatever step the person is in."""
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(_("Cancelled.") if had_state else _("Nothing to cancel."),
                         reply_markup=keyboards.main_menu(person))
