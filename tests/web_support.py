"""Helpers for the web tests: the app over the test database, and a browser logged in as someone."""
from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from sqlalchemy import select

from models import Person, Township
from services.config import ServiceConfig
from services.web_auth import issue_login_link
from web.app import make_web_app


def web_app(sessionmaker, clock, public_url: str = "http://127.0.0.1:8082", fetch_file=None):
    return make_web_app(sessionmaker, ServiceConfig(), public_url, clock, fetch_file)


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dashboard.test")


async def login_link(sessionmaker, name: str, clock) -> str:
    """Return the path of a fresh one-time login link for the person of that name."""
    async with sessionmaker() as session:
        person = await session.scalar(select(Person).where(Person.name == name))
        return f"/login/{await issue_login_link(session, person, clock())}"


@asynccontextmanager
async def logged_in(app, sessionmaker, name: str, clock):
    """Give a browser that has opened a login link of that person."""
    async with client(app) as browser:
        response = await browser.get(await login_link(sessionmaker, name, clock))
        assert response.status_code == 303, response.text
        yield browser


async def add_township_supervisor(sessionmaker, clock, name: str = "石桥督查", township: str = "石桥镇") -> Person:
    """Add a supervisor of one township (the demo county has only a county-wide one)."""
    async with sessionmaker() as session:
        town = await session.scalar(select(Township).where(Township.name == township))
        person = Person(name=name, role="supervisor", channel="telegram", external_id="2302", language="zh_CN",
                        township_id=town.id, created_at=clock(), active=True)
        session.add(person)
        await session.commit()
        return person


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]
