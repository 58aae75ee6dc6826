"""Broadcasts (history and counts) and the directory, read-only."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from models import Township, WebSession
from services.broadcasts import recent_in_area
from services.dashboard import reader_scope, staff_directory
from web.context import db_session
from web.dashboard_login import reader_session
from web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/broadcasts")
async def broadcasts(request: Request, web_session: WebSession = Depends(reader_session),
                     session: AsyncSession = Depends(db_session)):
    """List the broadcasts that reached the reader's area, with their delivery counts."""
    reader = web_session.person
    reader_scope(reader)
    # A cadre follows the broadcasts of the township they work in, as its leaders do.
    township = await session.get(Township, reader.township_id) if reader.township_id is not None else None
    return render(request, "broadcasts.html", reader=reader, csrf=web_session.csrf, page="broadcasts",
                  items=await recent_in_area(session, township))


@router.get("/directory")
async def directory(request: Request, web_session: WebSession = Depends(reader_session),
                    session: AsyncSession = Depends(db_session)):
    """Show the townships, villages and staff of the county."""
    towns, staff = await staff_directory(session)
    return render(request, "directory.html", reader=web_session.person, csrf=web_session.csrf, page="directory",
                  towns=towns, staff=staff)
