"""The periodic jobs: thin, idempotent, callable from tests with a context."""
from __future__ import annotations

from scheduler.context import JobContext
from services import broadcasts
from services.digest import queue_daily_digests
from services.reminders import sweep_due

BATCH = 500


async def sweep_deadlines(ctx: JobContext) -> int:
    """Act on every case with something due now: reminders, supervision, escalation, follow-up."""
    handled = 0
    while True:
        async with ctx.sessionmaker() as session:
            done = await sweep_due(session, ctx.config, ctx.clock(), batch=BATCH)
        handled += done
        if done < BATCH:
            return handled


async def send_daily_digest(ctx: JobContext) -> int:
    """Queue the day's digest for every supervisor (once per day each)."""
    async with ctx.sessionmaker() as session:
        return await queue_daily_digests(session, ctx.config, ctx.clock())


async def fan_out_broadcasts(ctx: JobContext) -> int:
    """Queue the due runs of scheduled and repeating broadcasts, one row per household."""
    async with ctx.sessionmaker() as session:
        return await broadcasts.fan_out_due(session, ctx.config, ctx.clock())


async def report_broadcasts(ctx: JobContext) -> int:
    """Tell senders about their finished broadcast runs."""
    async with ctx.sessionmaker() as session:
        return await broadcasts.report_finished_runs(session, ctx.clock())
