"""The case conversation: messages relayed both ways, and the villager's verdict."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, MessageLink, Person
from models import queries as q
from models.enums import CloseReason, EventKind, Rating, Status
from services import events
from services.errors import CaseNotFound, InvalidTransition
from services.handling import load_case
from services.intake import Part, check_part
from services.lifecycle import CLOSED_STATUSES, Action, next_status
from services.outbox import SILENT_CHANNELS, enqueue, enqueue_rows, outbox_row
from services.permissions import require_can, require_reporter
from services.signoff import needs_signoff, request_signoff
from services.signoff_rules import SignoffPolicy


@dataclass(frozen=True)
class Relayed:
    """A message added to a case: which case (its number for the receipt) and the message's id."""

    case_id: int
    number: str
    message_id: int


async def add_message(
    session: AsyncSession, *, case_id: int, author: Person, part: Part, now: datetime
) -> Relayed:
    """Add a message to the case and relay it to the other side; a staff answer is first contact."""
    # The most frequent write of all: plain rows, no case object unless the case itself changes.
    case, helpers = await q.case_for_reply(session, case_id)
    if case is None:
        raise CaseNotFound()
    require_can(author, Action.reply, case, helpers)
    if case.status in CLOSED_STATUSES:
        raise InvalidTransition(case.status, Action.reply)
    part = check_part(part)
    from_reporter = author.id == case.reporter_id
    message_id = await q.insert_message(session, part.values(case.id, author.id, now))
    rows = [events.event_row(case.id, EventKind.message, now, author, message_id=message_id, part=str(part.kind))]
    if not from_reporter:
        await _answered(session, case, author, now, rows)
    recipients = ({case.owner_id} | helpers) if from_reporter else {case.reporter_id}
    if not from_reporter and case.reporter_channel in SILENT_CHANNELS:
        recipients = set()  # a household without an account hears from its cadre; another system polls
    await events.append_rows(session, rows)
    await enqueue_rows(session, [
        outbox_row(person_id, "relay", f"relay:{message_id}:{person_id}", now, case.id, message_id=message_id)
        for person_id in sorted(recipients - {author.id, None})])
    await session.commit()
    return Relayed(case.id, case.number, message_id)


async def _answered(session: AsyncSession, row, author: Person, now: datetime, rows: list[dict]) -> None:
    """Move the case on when staff answer: in progress, and the first answer is first contact."""
    if row.status == Status.resolved and row.first_response_at is not None:
        return
    case = await load_case(session, row.id)
    if case.status != Status.resolved:
        case.status = next_status(case.status, Action.reply)
    if case.first_response_at is None:
        case.first_response_at = now
        rows.append(events.event_row(case.id, EventKind.first_contact, now, author))


async def rate_case(
    session: AsyncSession, *, case_id: int, villager: Person, rating: Rating, now: datetime,
    signoff: SignoffPolicy = SignoffPolicy(),
) -> Case:
    """Record the villager's verdict: satisfied closes the case (销号) or puts it before a supervisor for
    sign-off; unsatisfied reopens it."""
    case = require_reporter(villager, await q.case_by_id(session, case_id))
    action = Action.reopen if rating is Rating.unsatisfied else Action.close
    next_status(case.status, action)
    case.rating = rating
    await events.record(session, case, EventKind.rated, now, actor=villager, rating=rating)
    if action is Action.close and await needs_signoff(session, case, signoff) and await request_signoff(
            session, case, villager, now):
        await session.commit()
        return case
    case.status = next_status(case.status, action)
    if action is Action.close:
        case.closed_at, case.close_reason = now, CloseReason.confirmed
        event = await events.record(session, case, EventKind.closed, now, actor=villager,
                                    reason=CloseReason.confirmed)
        enqueue(session, to=case.owner, notice="case_closed", key=f"closed:{event.id}", now=now,
                case_id=case.id)
    else:
        case.disposition, case.resolved_at = None, None
        event = await events.record(session, case, EventKind.reopened, now, actor=villager)
        enqueue(session, to=case.owner, notice="case_card", key=f"card:{event.id}", now=now,
                case_id=case.id, reason="reopened")
    await session.commit()
    return case


def remember_message(session: AsyncSession, *, chat: str, message_id: int, case_id: int) -> None:
    """Note that a message sent in a chat belongs to a case, so a reply to it finds the case."""
    session.add(MessageLink(chat=chat, message_id=message_id, case_id=case_id))
