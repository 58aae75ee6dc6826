"""The case conversation: messages relayed both ways, and the villager's verdict."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseMessage, MessageLink, Person
from models import queries as q
from models.enums import CloseReason, EventKind, Rating, Status
from services import events
from services.errors import InvalidTransition
from services.handling import load_case
from services.intake import Part, check_part
from services.lifecycle import CLOSED_STATUSES, Action, next_status
from services.outbox import enqueue
from services.permissions import require_can, require_reporter


async def add_message(
    session: AsyncSession, *, case_id: int, author: Person, part: Part, now: datetime
) -> tuple[Case, CaseMessage]:
    """Add a message to the case and relay it to the other side; a staff answer is first contact."""
    case = await load_case(session, case_id)
    helpers = await q.helper_ids(session, case.id)
    require_can(author, Action.reply, case, helpers)
    if case.status in CLOSED_STATUSES:
        raise InvalidTransition(case.status, Action.reply)
    part = check_part(part)
    from_reporter = author.id == case.reporter_id
    if not from_reporter and case.status != Status.resolved:
        case.status = next_status(case.status, Action.reply)
    message = part.message(case.id, author.id, now)
    session.add(message)
    await session.flush()
    events.append(session, case, EventKind.message, now, actor=author, message_id=message.id, part=str(part.kind))
    if not from_reporter and case.first_response_at is None:
        case.first_response_at = now
        events.append(session, case, EventKind.first_contact, now, actor=author)
    if from_reporter:
        recipients = [case.owner] + [p for p in [await session.get(Person, i) for i in helpers] if p]
    else:
        recipients = [case.reporter]
    for person in recipients:
        if person is not None and person.id != author.id:
            enqueue(session, to=person, notice="relay", key=f"relay:{message.id}:{person.id}", now=now,
                    case_id=case.id, message_id=message.id)
    await session.commit()
    return case, message


async def rate_case(
    session: AsyncSession, *, case_id: int, villager: Person, rating: Rating, now: datetime
) -> Case:
    """Record the villager's verdict: satisfied closes the case (销号), unsatisfied reopens it."""
    case = require_reporter(villager, await q.case_by_id(session, case_id))
    action = Action.reopen if rating is Rating.unsatisfied else Action.close
    case.status = next_status(case.status, action)
    case.rating = rating
    await events.record(session, case, EventKind.rated, now, actor=villager, rating=rating)
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
