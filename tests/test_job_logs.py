"""The jobs' INFO log: one line with counts when a job did something, nothing at all when it did not."""
from __future__ import annotations

import logging

from models import Person
from scheduler import _run, jobs
from scheduler.context import JobContext
from services.broadcasts import create_broadcast


async def test_a_job_logs_one_line_with_its_count_when_it_queued_something_and_nothing_on_idle_ticks(
        sessionmaker, clock, config, county, caplog):
    async with sessionmaker() as session:
        session.add(Person(name="张大爷", role="villager", channel="telegram", external_id="3001", language="zh_CN",
                           village_id=1, township_id=1, subscribed=True, active=True, created_at=clock()))
        await create_broadcast(session, config, by=None, audience="county", text="明天停水", now=clock())
        await session.commit()
    ctx = JobContext(sessionmaker, config, clock)
    caplog.set_level(logging.DEBUG)

    for _ in range(3):  # the first tick fans the broadcast out, the next two find nothing due
        await _run("fan_out_broadcasts", jobs.fan_out_broadcasts, ctx)
        await _run("sweep_deadlines", jobs.sweep_deadlines, ctx)

    ours = [r for r in caplog.records if r.name.startswith("scheduler") and r.levelno >= logging.INFO]
    assert len(ours) == 1
    assert ours[0].getMessage().startswith("broadcasts: queued ") and ours[0].args[0] > 0


async def test_a_job_on_an_unreachable_database_logs_one_warning_without_a_traceback(
        sessionmaker, clock, config, caplog):
    async def refused(_ctx):
        raise ConnectionRefusedError(111, "Connection refused")

    await _run("sweep_deadlines", refused, JobContext(sessionmaker, config, clock))

    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "the database is unreachable" in record.getMessage()
