"""The web app: the dashboard's pages and the Open311 API, over the same services as the bot's handlers."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.config import ServiceConfig
from services.errors import CaseNotFound, DomainError, InvalidInput, InvalidTransition, NotAllowed
from web import dashboard_case, dashboard_ledger, dashboard_login, dashboard_more, dashboard_overview, open311
from services.web_auth import current_session
from web.context import COOKIE, FileFetcher, WebContext
from web.dashboard_login import CsrfRefused, LoginNeeded
from web.rendering import render

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
# The pages hold personal data and run no script: nothing is cached, framed, or loaded from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def make_web_app(sessionmaker: async_sessionmaker[AsyncSession], config: ServiceConfig, public_url: str,
                 clock: Callable[[], datetime], fetch_file: FileFetcher | None = None) -> FastAPI:
    """Build the dashboard and the Open311 API; `public_url` is the base the bot's links point at."""
    app = FastAPI(title="Mass-line Open311 GeoReport v2", version="2", docs_url=None, redoc_url=None,
                  openapi_url="/open311/v2/openapi.json",
                  description="Cases of the county as GeoReport v2 service requests. No reporter's identity "
                              "is ever included; confidential cases are never listed.")
    app.state.web = WebContext(sessionmaker, config, public_url.rstrip("/"), clock, fetch_file)
    for module in (dashboard_login, dashboard_overview, dashboard_ledger, dashboard_case, dashboard_more, open311):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def page_headers(request: Request, call_next):
        response = await call_next(request)
        if not request.url.path.startswith("/open311/"):
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # Open311 answers with the spec's error list; a hand-edited dashboard URL is a missing page.
        if request.url.path.startswith("/open311/"):
            where = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e.get("loc")) or "a parameter"
            return open311.error(400, f"{where} cannot be used", request.url.path.endswith(".xml"))
        return render(request, "error.html", status=404, problem="not_found",
                      reader=await _reader_or_none(request))

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, exc: LoginNeeded):
        return render(request, "login_needed.html", status=401)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused):
        return render(request, "error.html", status=403, problem="csrf")

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        status, problem = 400, "invalid"
        if isinstance(exc, CaseNotFound):
            status, problem = 404, "not_found"
        elif isinstance(exc, NotAllowed):
            status, problem = 403, "not_allowed"
        elif isinstance(exc, InvalidTransition):
            status, problem = 409, "transition"
        elif isinstance(exc, InvalidInput):
            problem = "empty" if str(exc) == "empty" else "invalid"
        return render(request, "error.html", status=status, problem=problem,
                      reader=await _reader_or_none(request))

    return app


async def _reader_or_none(request: Request):
    """Return who is logged in, to keep the error page in their language and navigation."""
    web = request.app.state.web
    async with web.sessionmaker() as session:
        found = await current_session(session, request.cookies.get(COOKIE), web.clock())
    return found.person if found else None
