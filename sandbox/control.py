"""The control API under /sandbox/: people act, tests and the chat page look, faults are injected."""
from __future__ import annotations

import json
import logging
from typing import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from sandbox.people import ControlError, person_or_404, user_press, user_send
from sandbox.state import SandboxState

log = logging.getLogger(__name__)


class PersonIn(BaseModel):
    id: int
    first_name: str = Field(min_length=1)
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    label: str | None = None
    started: bool | None = None


class Location(BaseModel):
    latitude: float
    longitude: float


class SendIn(BaseModel):
    text: str | None = None
    reply_to_message_id: int | None = None
    photo: bool = False
    caption: str | None = None
    location: Location | None = None
    voice: bool = False
    sticker: bool = False
    document: bool = False


class PressIn(BaseModel):
    message_id: int
    data: str | None = None
    text: str | None = None


class FailNext(BaseModel):
    count: int = 1
    status: int = 500
    method: str | None = None


class ChaosIn(BaseModel):
    rate: float | None = None
    kinds: list[str] | None = None
    methods: list[str] | None = None
    seed: int | None = None
    retry_after: int | None = None
    hold: float | None = None


class FaultsIn(BaseModel):
    clear: bool = False
    rate_limit: dict[str, int] | None = None
    retry_after: int | None = None
    block: list[int] = []
    unblock: list[int] = []
    fail_next: FailNext | None = None
    latency: float | None = None
    duplicate_updates: bool | None = None
    chaos: ChaosIn | None = None


class ResetIn(BaseModel):
    keep_users: bool = False


def build_control_router(state: SandboxState) -> APIRouter:
    """Return the router of the control API for this state."""
    router = APIRouter(prefix="/sandbox")

    def person(user_id: int):
        try:
            return person_or_404(state, user_id)
        except ControlError as exc:
            raise HTTPException(exc.status, exc.message) from None

    @router.post("/users")
    async def register(body: PersonIn) -> dict:
        return state.register(**body.model_dump(exclude_unset=True)).public()

    @router.get("/users")
    async def users() -> list[dict]:
        return [p.public() for p in state.people.values()]

    @router.post("/users/{user_id}/send")
    async def send(user_id: int, body: SendIn) -> dict:
        try:
            return user_send(state, person(user_id), body.model_dump(exclude_none=True)).view()
        except ControlError as exc:
            raise HTTPException(exc.status, exc.message) from None

    @router.post("/users/{user_id}/press")
    async def press(user_id: int, body: PressIn) -> dict:
        if body.data is None and body.text is None:
            raise HTTPException(422, "give the button's data or its text")
        try:
            query = user_press(state, person(user_id), body.message_id, body.data, body.text)
        except ControlError as exc:
            raise HTTPException(exc.status, exc.message) from None
        return {"query_id": query.id, "data": query.data}

    @router.get("/users/{user_id}/messages")
    async def messages(user_id: int, after: int = 0, wait: float = 0.0) -> list[dict]:
        person(user_id)
        found = state.messages(user_id, after)
        if not found and wait > 0:
            await state.wait_change(min(wait, 30.0))
            found = state.messages(user_id, after)
        return found

    @router.get("/poll")
    async def poll(after: int = 0, timeout: float = 0.0) -> dict:
        if after < 0:  # a newcomer asking only where the stream stands
            return {"seq": state.seq, "events": []}
        events = state.events_after(after)
        if not events and timeout > 0:
            await state.wait_change(min(timeout, 30.0))
            events = state.events_after(after)
        return {"seq": state.seq, "events": events}

    @router.get("/events")
    async def events(request: Request, after: int = 0) -> StreamingResponse:
        cursor = int(request.headers.get("last-event-id") or after)
        return StreamingResponse(_stream(state, request, cursor), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    @router.get("/refusals")
    async def refusals() -> list[dict]:
        return state.refusals

    @router.get("/unanswered_callbacks")
    async def unanswered() -> list[dict]:
        return [q.public() for q in state.queries.values() if not q.answered]

    @router.get("/callbacks")
    async def callbacks() -> list[dict]:
        return [q.public() for q in state.queries.values()]

    @router.get("/calls")
    async def calls(method: str | None = None) -> list[dict]:
        return [c for c in state.calls if method is None or c["method"].lower() == method.lower()]

    @router.get("/webhook")
    async def webhook() -> dict:
        return {"url": state.webhook.get("url", ""), "pending": len(state.updates),
                "deliveries": list(state.webhook_log)}

    @router.get("/faults")
    async def get_faults() -> dict:
        return state.faults.public()

    @router.post("/faults")
    async def set_faults(body: FaultsIn) -> dict:
        apply_faults(state, body)
        return state.faults.public()

    @router.post("/reset")
    async def reset(body: ResetIn | None = None) -> dict:
        state.reset(keep_users=bool(body and body.keep_users))
        return {"ok": True, "seq": state.seq}

    @router.get("/files/{file_id}")
    async def file(file_id: str) -> Response:
        stored = state.files.get(file_id)
        if stored is None:
            raise HTTPException(404, "no such file")
        return Response(stored.data, media_type=stored.mime_type)

    return router


def apply_faults(state: SandboxState, body: FaultsIn) -> None:
    """Change the injected faults as the request says."""
    faults = state.faults
    if body.clear:
        faults.__init__()
    if body.rate_limit is not None:
        faults.rate_limits.update(body.rate_limit)
        for method, limit in body.rate_limit.items():
            if limit <= 0:
                faults.rate_limits.pop(method, None)
    if body.retry_after is not None:
        faults.retry_after = body.retry_after
    faults.blocked.update(body.block)
    faults.blocked.difference_update(body.unblock)
    if body.fail_next is not None:
        failure = {"status": body.fail_next.status, "method": body.fail_next.method}
        faults.fail_next.extend(dict(failure) for _ in range(body.fail_next.count))
    if body.latency is not None:
        faults.latency = max(0.0, body.latency)
    if body.duplicate_updates is not None:
        faults.duplicate_updates = body.duplicate_updates
    if body.chaos is not None:
        try:
            faults.chaos.configure(**body.chaos.model_dump())
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    log.info("faults now %s", faults.public())


async def _stream(state: SandboxState, request: Request, cursor: int) -> AsyncIterator[str]:
    """Yield Server-Sent Events for every change after cursor, until the client or the server goes."""
    yield "retry: 1000\n\n"
    while not state.closing and not await request.is_disconnected():
        events = state.events_after(cursor)
        for event in events:
            cursor = event["seq"]
            yield f"id: {cursor}\nevent: {event['type']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n"
        if not events:
            await state.wait_change(10.0)
            if not state.events_after(cursor):
                yield ": keep-alive\n\n"

