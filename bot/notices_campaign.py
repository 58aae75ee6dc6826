"""Notices of the campaign's tools: sign-off, the team, early warning, pair visits."""
from __future__ import annotations

from datetime import datetime

from aiogram.methods import SendMessage
from aiogram.utils.i18n import gettext as _

from bot import keyboards, keyboards_campaign
from bot.notices import notice
from bot.texts import category_name, disposition_name, esc, person_label, rating_name, short, when
from bot.texts_campaign import flags_line, household_kind_name, outcome_name
from models import CaseEvent, Household
from services.households import visible_kinds
from services.mediation import mediations_of


@notice("signoff_request")
async def signoff_request(renderer, session, chat, person, case, payload):
    """Put a case the villager is content with before a supervisor: agree to strike it off, or send it back."""
    lines = [
        _("📋 <b>Case {number}</b> waits for your sign-off (销号)").format(number=case.number),
        _("Village: {village} ({township}) · {category}").format(
            village=esc(case.village.name), township=esc(case.village.township.name),
            category=category_name(case, person.language)),
        _("Owner: {owner}").format(owner=person_label(case.owner)),
        _("Result: {disposition}").format(disposition=disposition_name(case.disposition)),
        esc(short(case.resolution_note, 1200)),
        _("The villager's verdict: {rating}").format(rating=rating_name(case.rating)),
    ]
    for mediation in await mediations_of(session, case.id):
        lines.append(_("🤝 Mediation {day} at {place}: {outcome}").format(
            day=mediation.held_on.isoformat(), place=esc(short(mediation.place, 60)),
            outcome=outcome_name(mediation.outcome)))
    lines += ["", _("Strike it off, or send it back to the owner with a reason.")]
    return [SendMessage(chat_id=chat, text="\n".join(lines), reply_markup=keyboards.signoff_actions(case.id))]


@notice("signoff_pending")
async def signoff_pending(renderer, session, chat, person, case, payload):
    """Tell the owner the villager is content and the supervisor now checks the case."""
    text = _("👍 <b>Case {number}</b>: the villager's verdict is {rating}. It is struck off once the supervisor "
             "has signed it off.").format(number=case.number, rating=rating_name(case.rating))
    return [SendMessage(chat_id=chat, text=text)]


@notice("team_removed")
async def team_removed(renderer, session, chat, person, case, payload):
    """Tell a helper they are no longer on a case's team."""
    return [SendMessage(chat_id=chat, text=_("👥 You are no longer on the team of case {number}.").format(
        number=case.number))]


@notice("team_note")
async def team_note(renderer, session, chat, person, case, payload):
    """Pass a note of the team to the rest of the team (never to the villager)."""
    event = await session.get(CaseEvent, payload["event_id"])
    text = _("📝 <b>Case {number}</b> · note from {author}:\n{note}").format(
        number=case.number, author=person_label(event.actor), note=esc(short(event.note, 3000)))
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards.open_card(case.id))]


@notice("risk_alert")
async def risk_alert(renderer, session, chat, person, case, payload):
    """Alert a supervisor to a flagged case; no reporter is ever named."""
    lines = [_("🚩 <b>Early warning</b> · case {number}").format(number=case.number),
             _("Village: {village} ({township}) · {category}").format(
                 village=esc(case.village.name), township=esc(case.village.township.name),
                 category=category_name(case, person.language)),
             _("Why: {flags}").format(flags=flags_line(payload.get("flags"), payload.get("words")))]
    if payload.get("cluster"):
        lines.append(_("{count} reports of this matter from the village within 7 days.").format(
            count=payload["cluster"]))
    lines += [_("Owner: {owner}").format(owner=person_label(case.owner)), esc(short(case.summary, 300))]
    return [SendMessage(chat_id=chat, text="\n".join(lines), reply_markup=keyboards.open_card(case.id))]


@notice("cluster_offer")
async def cluster_offer(renderer, session, chat, person, case, payload):
    """Offer the owner to link the reports of one matter (并单)."""
    text = _("🔗 <b>Case {number}</b>: {count} villagers of {village} reported {category} within 7 days. They may be "
             "one matter; link them to handle them as one (并单).").format(
        number=case.number, count=len(payload.get("cases") or []), village=esc(case.village.name),
        category=category_name(case, person.language))
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards_campaign.link_offer(case.id))]


@notice("pair_visit_due")
async def pair_visit_due(renderer, session, chat, person, case, payload):
    """Remind a cadre that a paired household has not been visited for a while (结对帮扶)."""
    household = await session.get(Household, payload["household_id"])
    since = datetime.fromisoformat(payload["since"])
    kinds = "、".join(household_kind_name(k) for k in visible_kinds(household, person))
    text = _("🏠 Time to visit <b>{head}</b> ({village}), a household paired with you: no visit logged since "
             "{since}.").format(head=esc(household.head), village=esc(household.village.name),
                                since=when(since, renderer.tz))
    if kinds:
        text += "\n" + _("Kinds: {kinds}").format(kinds=kinds)
    return [SendMessage(chat_id=chat, text=text, reply_markup=keyboards_campaign.visit_household(household.id))]

