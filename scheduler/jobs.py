"""The periodic jobs: thin, idempotent, callable from tests with a context.

Each logs one INFO line when it did something, with its counts, and nothing when it did not: a sweep
every minute that finds nothing due leaves no trace (APScheduler's own per-run lines are quieted in
bot/logs.py).
"""
from __future__ import annotations

import logging

from scheduler.context import JobContext
from services import broadcasts
from services.digest import queue_daily_digests
from services.pairing import queue_pair_reminders
from services.reminders import sweep_due

log = logging.getLogger(__name__)
BATCH = 500


async def sweep_deadlines(ctx: JobContext) -> int:
    """Act on every case with something due now: reminders, supervision, escalation, follow-up."""
    handled = batches = 0
    while True:
        async with ctx.sessionmaker() as session:
            done = await sweep_due(session, ctx.config, ctx.clock(), batch=BATCH)
        handled += done
        batches += 1
        if done < BATCH:
            if handled:
                log.info("deadline sweep: acted on %d case(s) in %d batch(es)", handled, batches)
            return handled


async def send_daily_digest(ctx: JobContext) -> int:
    """Queue the day's digest for every supervisor (once per day each)."""
    async with ctx.sessionmaker() as session:
        queued = await queue_daily_digests(session, ctx.config, ctx.clock())
    if queued:
        log.info("daily digest: queued for %d supervisor(s)", queued)
    return queued


async def fan_out_broadcasts(ctx: JobContext) -> int:
    """Queue the due runs of scheduled and repeating broadcasts, one row per household."""
    async with ctx.sessionmaker() as session:
        queued = await broadcasts.fan_out_due(session, ctx.config, ctx.clock())
    if queued:
        log.info("broadcasts: queued %d message(s) to households", queued)
    return queued


async def report_broadcasts(ctx: JobContext) -> int:
    """Tell senders about their finished broadcast runs."""
    async with ctx.sessionmaker() as session:
        reported = await broadcasts.report_finished_runs(session, ctx.clock())
    if reported:
        log.info("broadcasts: told the senders of %d finished run(s)", reported)
    return reported


async def remind_pair_visits(ctx: JobContext) -> int:
    """Remind cadres of paired households not visited for PAIR_VISIT_EVERY (once per household and period)."""
    async with ctx.sessionmaker() as session:
        queued = await queue_pair_reminders(session, ctx.config.pair_visit_every, ctx.clock())
    if queued:
        log.info("pair visits: queued %d reminder(s) to cadres", queued)
    return queued
