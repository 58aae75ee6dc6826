"""One case: its card, timeline, messages and places, and the actions the reader may take, as in chat."""
from __future__ import annotations

import mimetypes
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from models import WebSession
from models.enums import MessageKind
from services import handling
from services.dashboard import case_detail, case_message, visible_case
from services.errors import CaseNotFound, InvalidInput
from services.wording import Words
from web.context import db_session, web_context
from web.dashboard_login import checked_form, reader_session
from web.rendering import render

router = APIRouter(include_in_schema=False)
# Shown inline; any other file is sent as a download, so an uploaded page can never run in the dashboard.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
PLACEHOLDER = ('<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">'
               '<rect width="240" height="120" rx="10" fill="#eef2f6"/>'
               '<text x="120" y="66" font-size="16" text-anchor="middle" fill="#5b6b7b">{label}</text></svg>')


@router.get("/case/{number}")
async def show_case(number: str, request: Request, web_session: WebSession = Depends(reader_session),
                    session: AsyncSession = Depends(db_session)):
    """Show the case: card, owner and deadline, timeline, messages with photos and places, and actions."""
    reader = web_session.person
    detail = await case_detail(session, number, reader)
    return render(request, "case.html", reader=reader, csrf=web_session.csrf, page="ledger", d=detail,
                  done=request.query_params.get("done", ""))


async def _back(session: AsyncSession, number: str, reader, done: str) -> RedirectResponse:
    """Go back to the case, or to the ledger when the action took the case out of the reader's sight."""
    try:
        await visible_case(session, number, reader)
    except CaseNotFound:
        return RedirectResponse(f"/ledger?done={done}&case={quote(number)}", status_code=303)
    return RedirectResponse(f"/case/{quote(number)}?done={done}", status_code=303)


@router.post("/case/{number}/accept")
async def accept(number: str, request: Request, form: dict = Depends(checked_form),
                 web_session: WebSession = Depends(reader_session), session: AsyncSession = Depends(db_session)):
    """Take the case on, as ✋ does in chat."""
    case = await visible_case(session, number, web_session.person)
    await handling.accept_case(session, case_id=case.id, actor=web_session.person, now=web_context(request).clock())
    return await _back(session, number, web_session.person, "accepted")


@router.post("/case/{number}/escalate")
async def escalate(number: str, request: Request, form: dict = Depends(checked_form),
                   web_session: WebSession = Depends(reader_session), session: AsyncSession = Depends(db_session)):
    """Hand the case up one level with a reason, as ⬆️ does in chat."""
    web = web_context(request)
    case = await visible_case(session, number, web_session.person)
    await handling.escalate_case(session, web.config, case_id=case.id, actor=web_session.person,
                                 reason=form.get("reason", ""), now=web.clock())
    return await _back(session, number, web_session.person, "escalated")


@router.post("/case/{number}/transfer")
async def transfer(number: str, request: Request, form: dict = Depends(checked_form),
                   web_session: WebSession = Depends(reader_session), session: AsyncSession = Depends(db_session)):
    """Hand the case to another person with a reason, as ↪️ does in chat."""
    case = await visible_case(session, number, web_session.person)
    target = form.get("to", "")
    if not target.isdigit():
        raise InvalidInput("person")
    await handling.transfer_case(session, case_id=case.id, actor=web_session.person, to_person_id=int(target),
                                 reason=form.get("reason", ""), now=web_context(request).clock())
    return await _back(session, number, web_session.person, "transferred")


@router.get("/case/{number}/file/{message_id}")
async def case_file(number: str, message_id: int, request: Request,
                    web_session: WebSession = Depends(reader_session), session: AsyncSession = Depends(db_session)):
    """Send a photo or file of the case through the Bot API, or a placeholder when it cannot be fetched."""
    web = web_context(request)
    message = await case_message(session, number, message_id, web_session.person)
    fetched = None
    if message.file_id and web.fetch_file is not None and message.kind != MessageKind.location:
        fetched = await web.fetch_file(message.file_id)
    if fetched is None:
        label = Words(web_session.person.language, web.config.tz).gettext("photo in chat")
        return Response(PLACEHOLDER.format(label=escape(label)), media_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=300"})
    content, path = fetched
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=3600"}
    if kind not in INLINE_TYPES:
        kind = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{number}-{message_id}{_suffix(path)}"'
    return Response(content, media_type=kind, headers=headers)


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1][:8] if "." in name else ""
