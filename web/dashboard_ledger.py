"""The ledger: the area's cases with filters, sorting and pages, and the spreadsheet of exactly that view."""
from __future__ import annotations

import io

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebSession
from models.enums import Status
from services.dashboard import choices, ledger_page, ledger_view
from services.ledger import write_ledger
from web.context import db_session, web_context
from web.dashboard_login import reader_session
from web.filters import LEDGER_KEYS, case_filter, chosen_period, query_string, sorting
from web.rendering import render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/ledger")
async def ledger(request: Request, web_session: WebSession = Depends(reader_session),
                 session: AsyncSession = Depends(db_session)):
    """List the area's cases, filtered, sorted and paged."""
    web, reader = web_context(request), web_session.person
    now, params = web.clock(), request.query_params
    chosen = chosen_period(params, now, web.config.tz, default_all=True)
    view = ledger_view(reader, case_filter(params, chosen.period), now)
    order = sorting(params)
    page = await ledger_page(session, view, now, sort=order.key, descending=order.descending, page=order.page)
    return render(request, "ledger.html", reader=reader, csrf=web_session.csrf, page="ledger", rows=page,
                  order=order, chosen=chosen, params=params, options=await choices(session, reader),
                  statuses=list(Status), query=lambda **changes: query_string(
                      params, keys=(*LEDGER_KEYS, "sort", "dir", "page"), **changes),
                  export=query_string(params), done=params.get("done", ""), done_case=params.get("case", ""))


@router.get("/ledger.xlsx")
async def export(request: Request, web_session: WebSession = Depends(reader_session),
                 session: AsyncSession = Depends(db_session)):
    """Send the ledger spreadsheet of exactly the filtered view."""
    web, reader = web_context(request), web_session.person
    now, params = web.clock(), request.query_params
    chosen = chosen_period(params, now, web.config.tz, default_all=True)
    view = ledger_view(reader, case_filter(params, chosen.period), now)
    buffer = io.BytesIO()
    await write_ledger(session, buffer, scope=view.scope, period=view.period, now=now, tz=web.config.tz,
                       where=view.conditions)
    name = f"ledger-{now.astimezone(web.config.tz):%Y%m%d-%H%M}.xlsx"
    return Response(buffer.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
