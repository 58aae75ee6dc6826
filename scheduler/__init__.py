"""APScheduler setup: fixed-id jobs that call thin, idempotent functions with `now`."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from models.faults import log_failure
from scheduler.context import JobContext
from services.cron import cron_trigger

log = logging.getLogger(__name__)
Job = Callable[[JobContext], Awaitable[int]]


def make_scheduler(ctx: JobContext, *, sweeps: dict[str, tuple[float, Job]], cron_jobs: dict[str, tuple[str, Job]],
                   timezone) -> AsyncIOScheduler:
    """Return a scheduler with one periodic job per sweep (every N seconds) and one cron job per entry."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    for job_id, (seconds, job) in sweeps.items():
        scheduler.add_job(_run, IntervalTrigger(seconds=seconds), args=[job_id, job, ctx], id=job_id,
                          replace_existing=True, coalesce=True, max_instances=1)
    for job_id, (expression, job) in cron_jobs.items():
        scheduler.add_job(_run, cron_trigger(expression, timezone), args=[job_id, job, ctx],
                          id=job_id, replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=3600)
    return scheduler


async def _run(job_id: str, job: Job, ctx: JobContext) -> None:
    if not ctx.leads():
        return  # another process runs the jobs
    try:
        done = await job(ctx)
    except asyncio.CancelledError:
        # The bot is stopping mid-run; the job's transaction rolls back and its next run does the work.
        log.debug("job %s stopped with the bot", job_id)
        return
    except Exception:
        log_failure(log, "job %s failed; it runs again at its next time", job_id)
        return
    if done:
        # Each job said what it did in one line (scheduler/jobs.py); the sender has rows to send.
        ctx.poke()
