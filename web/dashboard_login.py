"""Logging in with the bot's one-time link, logging out, and who the reader of a page is."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebSession
from services.errors import InvalidInvitation
from services.web_auth import csrf_matches, current_session, end_session, redeem_login_link
from web.context import COOKIE, db_session, web_context
from web.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


class LoginNeeded(Exception):
    """The request carries no live session: the page explains how to get a link from the bot."""


class CsrfRefused(Exception):
    """A form came without the session's CSRF token."""


async def reader_session(request: Request, session: AsyncSession = Depends(db_session)) -> WebSession:
    """Return the browser's live session, or raise LoginNeeded."""
    found = await current_session(session, request.cookies.get(COOKIE), web_context(request).clock())
    if found is None:
        raise LoginNeeded()
    return found


async def checked_form(request: Request, web_session: WebSession = Depends(reader_session)) -> dict:
    """Return the posted form if it carries the session's CSRF token; raise CsrfRefused otherwise."""
    form = await request.form()
    if not csrf_matches(web_session, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        raise CsrfRefused()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.get("/login/{token}")
async def login(token: str, request: Request, session: AsyncSession = Depends(db_session)):
    """Use up a one-time link from the bot and open a browser session."""
    web = web_context(request)
    try:
        opened = await redeem_login_link(session, token, web.clock())
    except InvalidInvitation:
        return render(request, "login_needed.html", status=400, invalid_link=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, opened.token, max_age=int((opened.expires_at - web.clock()).total_seconds()),
                        httponly=True, samesite="lax", secure=web.secure_cookies, path="/")
    log.info("dashboard session opened")
    return response


@router.post("/logout")
async def logout(request: Request, form: dict = Depends(checked_form),
                 web_session: WebSession = Depends(reader_session), session: AsyncSession = Depends(db_session)):
    """End the browser session; the cookie stops working at once."""
    await end_session(session, web_session, web_context(request).clock())
    response = RedirectResponse("/logged-out", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=web_context(request).secure_cookies)
    return response


@router.get("/logged-out")
async def logged_out(request: Request):
    """Say the reader is logged out and how to come back."""
    return render(request, "login_needed.html", logged_out=True)
