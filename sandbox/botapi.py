"""The Bot API endpoints: /bot{token}/{method} and /file/bot{token}/{path}, with faults and refusals."""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
import types
import typing
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from sandbox import admin, editing, sending  # noqa: F401  (importing registers their methods)
from sandbox.chaos import Dropped, cut, hold_call
from sandbox.registry import HANDLERS, ApiError
from sandbox.rules import canonical_method, check_call, method_classes
from sandbox.state import SandboxState

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                 504: "Gateway Timeout"}


@lru_cache(maxsize=1024)
def field_leaves(method: str, name: str) -> frozenset | None:
    """Return the plain types a method's field may hold, or None when the method has no such field."""
    cls = method_classes().get(method)
    field = cls.model_fields.get(name) if cls else None
    return None if field is None else frozenset(_leaf_types(field.annotation))


def _leaf_types(annotation: Any) -> set:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_leaf_types(arg) for arg in typing.get_args(annotation)))
    return {typing.get_origin(annotation) or annotation}


def coerce(method: str | None, name: str, value: Any) -> Any:
    """Turn a form field's string into what the method's field holds (form bodies carry only strings)."""
    if not isinstance(value, str):
        return value
    leaves = field_leaves((method or "").lower(), name)
    if leaves is None:
        return _json_or_text(value)
    if str in leaves:
        return int(value) if int in leaves and re.fullmatch(r"-?\d+", value) else value
    if bool in leaves:
        return {"true": True, "false": False, "1": True, "0": False}.get(value.lower(), value)
    for number in (int, float):
        if number in leaves:
            try:
                return number(value)
            except ValueError:
                return value
    return _json_or_text(value)


def _json_or_text(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def read_params(request: Request, method: str | None) -> tuple[dict, dict]:
    """Return the call's parameters (decoded) and its uploaded files, from any body Telegram accepts."""
    raw: dict[str, Any] = dict(request.query_params)
    files: dict[str, tuple[bytes, str, str]] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if body.strip():
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ApiError(400, "Bad Request: parameters must be a JSON object")
            raw.update(decoded)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        # What aiogram sends for calls without files; parse_qsl is far cheaper than the multipart parser.
        raw.update(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    elif content_type.startswith("multipart/form-data"):
        form = await request.form()
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = (await value.read(), value.filename or key, value.content_type or "")
            else:
                raw[key] = value
    params = {key: coerce(method, key, value) for key, value in raw.items()}
    cls = method_classes().get((method or "").lower())
    for key, upload in files.items():
        if cls is not None and key in cls.model_fields:
            params[key] = upload  # a file sent in the field itself rather than through attach://
    return params, files


def loggable(params: dict) -> dict:
    """Return params fit for the JSON call log (uploads shown by name and size)."""
    return {k: {"upload": v[1], "size": len(v[0])} if isinstance(v, tuple) else v for k, v in params.items()}


def error(err: ApiError) -> JSONResponse:
    """Return Telegram's error response."""
    return JSONResponse(err.body(), status_code=err.error_code)


def build_router(state: SandboxState) -> APIRouter:
    """Return the router that answers the Bot API for this state."""
    router = APIRouter()

    async def call(request: Request) -> Response:
        token, method = request.path_params["token"], request.path_params["method"]
        if not TOKEN.match(token):
            return error(ApiError(401, "Unauthorized"))
        name = canonical_method(method)
        try:
            params, files = await read_params(request, name)
        except (ValueError, ApiError) as exc:
            description = exc.description if isinstance(exc, ApiError) else "Bad Request: can't parse JSON"
            state.add_refusal(method, {}, 400, description)
            return error(ApiError(400, description))
        entry = state.log_call(name or method, loggable(params))
        if files:
            entry["files"] = {k: {"filename": v[1], "size": len(v[0])} for k, v in files.items()}
        try:
            result = await answer(state, name or method, params, files)
        except ApiError as exc:
            entry.update(status=exc.error_code, description=exc.description)
            return error(exc)
        except Dropped as exc:
            entry.update(status=exc.kind, description=f"chaos: {exc.kind}")
            if not cut(request.scope):
                raise ConnectionResetError(f"sandbox chaos: {exc.kind}") from None
            await asyncio.sleep(0)  # let the server see the connection gone before it would answer
            return Response(status_code=500)
        entry["status"] = 200
        return JSONResponse({"ok": True, "result": result})

    # A plain route, not FastAPI's: it reads the request itself, and skips dependency solving on every call.
    router.add_route("/bot{token}/{method}", call, methods=["GET", "POST"])

    @router.get("/file/bot{token}/{path:path}")
    async def download(token: str, path: str) -> Response:
        if not TOKEN.match(token):
            return error(ApiError(401, "Unauthorized"))
        stored = state.file_by_path(path)
        if stored is None:
            return error(ApiError(404, "Not Found"))
        return Response(stored.data, media_type=stored.mime_type)

    return router


async def _chaos(state: SandboxState, method: str, params: dict) -> None:
    """Fail the call if the random faults say so: a 429, a 5xx, a hold past the timeout, a reset."""
    chaos = state.faults.chaos
    kind = chaos.draw(method)
    if kind is None:
        return
    if kind == "429":
        raise ApiError(429, f"Too Many Requests: retry after {chaos.retry_after}",
                       {"retry_after": chaos.retry_after})
    if kind in ("500", "502"):
        raise ApiError(int(kind), SERVER_ERRORS[int(kind)])
    if kind == "timeout":
        long_poll = params.get("timeout") if method == "getUpdates" else 0
        await hold_call(chaos.hold + (long_poll if isinstance(long_poll, int) else 0), lambda: state.closing)
    raise Dropped(kind)


def chat_hint(state: SandboxState, params: dict) -> str:
    """Explain, for the person reading a refusal, why the sandbox knows no such chat."""
    chat_id = params.get("chat_id")
    person = state.people.get(chat_id) if isinstance(chat_id, int) else None
    if person is None:
        return f"no person {chat_id!r} is registered in the sandbox (POST /sandbox/users)"
    return (f"{person.first_name} ({person.id}) is registered but has not started the bot: have them send "
            f"/start, or register them with \"started\": true")


async def answer(state: SandboxState, method: str, params: dict, files: dict) -> Any:
    """Answer one call: injected faults first, then Telegram's refusals, then the method itself."""
    faults = state.faults
    if faults.latency > 0:
        await asyncio.sleep(faults.latency)
    await _chaos(state, method, params)
    status = faults.take_failure(method)
    if status is not None:
        raise ApiError(status, SERVER_ERRORS.get(status, "Internal Server Error"))
    if faults.over_rate(method, time.monotonic()):
        raise ApiError(429, f"Too Many Requests: retry after {faults.retry_after}",
                       {"retry_after": faults.retry_after})
    refusal = check_call(method, params, state.known_chat)
    if refusal is not None:
        state.add_refusal(method, loggable(params), refusal.error_code, refusal.description,
                          hint=chat_hint(state, params) if "chat not found" in refusal.description else None)
        raise ApiError(refusal.error_code, refusal.description)
    chat_id = params.get("chat_id")
    if isinstance(chat_id, int) and chat_id in faults.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    handler = HANDLERS.get(method)
    if handler is None:
        description = f"Bad Request: the sandbox does not implement {method}"
        state.add_refusal(method, loggable(params), 400, description)
        raise ApiError(400, description)
    try:
        result = handler(state, params, files, method=method)
        if inspect.isawaitable(result):
            result = await result
    except ApiError as exc:
        if exc.error_code in (400, 404):
            state.add_refusal(method, loggable(params), exc.error_code, exc.description)
        raise
    return result
