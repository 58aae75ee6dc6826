"""The weekly briefing job: one outbox row per supervisor per week, whatever the number of runs."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError

from models import OutboxMessage, Person
from models.delivery import PRIORITY_REMINDER
from models.enums import Role
from scheduler.context import JobContext
from services.briefing import Thresholds, build_briefing
from services.metrics import scope_for
from services.outbox import enqueue
from services.periods import last_full_week, week_label

log = logging.getLogger(__name__)
# The default of BRIEFING_AT: Mondays at 08:00 local time, crontab weekdays (1 = Monday).
BRIEFING_AT = "0 8 * * 1"


async def send_weekly_briefing(ctx: JobContext, thresholds: Thresholds = Thresholds()) -> int:
    """Queue last week's briefing for every supervisor who has not got it yet; return how many."""
    now = ctx.clock()
    week = week_label(last_full_week(now, ctx.config.tz), ctx.config.tz)
    async with ctx.sessionmaker() as session:
        supervisors = (await session.scalars(
            select(Person).where(Person.role == Role.supervisor, Person.active.is_(True),
                                 Person.external_id.is_not(None)).order_by(Person.id)
            .options(selectinload(Person.township)))).all()
        keys = {p.id: f"briefing:{week}:{p.id}" for p in supervisors}
        done = set((await session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.in_(list(keys.values()))))).all())
        waiting = [p for p in supervisors if keys[p.id] not in done]
        # Supervisors of one area share one briefing: the aggregates run once per area.
        built: dict = {}
        for supervisor in waiting:
            area = supervisor.township_id
            if area not in built:
                built[area] = (await build_briefing(
                    session, now, ctx.config.tz, scope_for(supervisor), thresholds,
                    area=supervisor.township.name if supervisor.township else None)).to_payload()
            enqueue(session, to=supervisor, notice="briefing", key=keys[supervisor.id], now=now,
                    priority=PRIORITY_REMINDER, briefing=built[area])
        try:
            await session.commit()
        except IntegrityError:
            # Another process queued the same week first; the unique keys kept it to one each.
            await session.rollback()
            log.info("weekly briefing %s was queued by another process", week)
            return 0
    log.info("weekly briefing %s queued for %d supervisor(s)", week, len(waiting))
    return len(waiting)
