"""The overview: the rates of the reader's area for a period against the one before, the overdue list, charts."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebSession
from services.briefing import STATUS_ORDER, daily_counts, longest_overdue
from services.dashboard import reader_scope
from services.metrics import Cut, compute, compute_by
from services.wording import Words
from web.charts import daily_chart, rates_chart
from web.context import db_session, web_context
from web.dashboard_login import reader_session
from web.filters import chosen_period
from web.rendering import render

router = APIRouter(include_in_schema=False)
OVERDUE_SHOWN = 50


@router.get("/")
async def overview(request: Request, web_session: WebSession = Depends(reader_session),
                   session: AsyncSession = Depends(db_session)):
    """Show the area's rates for the period and the one before, the overdue cases and two charts."""
    web, reader = web_context(request), web_session.person
    now, tz = web.clock(), web.config.tz
    scope = reader_scope(reader)
    chosen = chosen_period(request.query_params, now, tz)
    period = chosen.period
    this = await compute(session, period, now, scope)
    before = await compute(session, period.previous(), now, scope)
    # The same cut as `python -m bot stats`: townships county-wide, villages within a township.
    cut = Cut.township if scope.township_id is None else Cut.village
    units = await compute_by(session, period, now, cut, scope)
    words = Words(reader.language, tz)
    _ = words.gettext
    charts = {
        "daily": daily_chart(await daily_counts(session, period, scope, tz),
                             [words.status(s) for s in STATUS_ORDER],
                             _("Cases received per day, by status now")),
        "rates": rates_chart(units, [_("Response rate"), _("Resolution rate"), _("Satisfaction rate")],
                             _("Rates per township") if cut is Cut.township else _("Rates per village")),
    }
    return render(request, "overview.html", reader=reader, csrf=web_session.csrf, page="overview",
                  chosen=chosen, period=period, previous=period.previous(), this=this, before=before,
                  cut=cut.value, units=units, charts=charts,
                  overdue=await longest_overdue(session, now, scope, limit=OVERDUE_SHOWN))
