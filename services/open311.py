"""Open311 GeoReport v2 over the cases: the categories as services, the cases as service requests.

What leaves here never names a villager: no reporter, no phone, no account id, and the text of a
case has the reporter's name, phone and account number and any long number (phones, ids) masked.
Confidential cases (complaints about cadres' conduct) and their categories are never listed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Case, CaseEvent, Category, Person, Village
from models.enums import Level, MessageKind, Status
from services import wording
from services.api_keys import reporter_for
from services.config import ServiceConfig
from services.errors import CaseNotFound, InvalidInput
from services.intake import Part, submit_case

DEFAULT_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
# A location further than this from every village with coordinates is not in the county.
MAX_DISTANCE_KM = 30.0
MASK = "***"
LONG_NUMBER = re.compile(r"\d{7,}")
STATUSES = ("open", "closed")
FRACTION = re.compile(r"\.\d{7,}")
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class RequestQuery:
    """The filters of GET requests: ids (then nothing else counts), service codes, dates, statuses."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_list(text: str | None) -> tuple[str, ...]:
    """Split a comma-separated parameter into its non-empty items."""
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())


def parse_moment(text: str | None, tz: ZoneInfo, name: str) -> datetime | None:
    """Read a W3C/ISO 8601 date or date-time (local time when it has no offset); raise InvalidInput(name).

    Moments before 1900 or after 9000 are taken as those bounds: no case lies beyond them either way.
    """
    if not text:
        return None
    text = FRACTION.sub(lambda m: m.group(0)[:7], text.strip().upper().replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name) from None
    if not EARLIEST.year <= moment.year <= LATEST.year - 1:
        return EARLIEST if moment.year < EARLIEST.year else LATEST
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_statuses(text: str | None) -> tuple[str, ...]:
    """Read the status filter: open, closed or both."""
    statuses = tuple(s.lower() for s in parse_list(text))
    if any(s not in STATUSES for s in statuses):
        raise InvalidInput("status")
    return statuses


def mask(text: str | None, reporter: Person) -> str:
    """Hide the reporter's name, phone and account id, and any long number, in a text that leaves the county."""
    text = text or ""
    for secret in (reporter.name, reporter.phone, reporter.external_id):
        if secret and len(secret.strip()) >= 2:
            text = text.replace(secret.strip(), MASK)
    return LONG_NUMBER.sub(MASK, text)


async def services_list(session: AsyncSession, locale: str) -> list[dict]:
    """Return the categories a villager may report under, as GeoReport services (confidential ones left out)."""
    _ = wording.translations(locale).gettext
    rows = (await session.scalars(select(Category).where(Category.confidential.is_(False))
                                  .order_by(Category.position, Category.code))).all()
    groups = {"complaint": _("Complaints and disputes"), "request": _("Practical help"),
              "question": _("Policy questions")}
    return [{"service_code": c.code, "service_name": c.name(locale), "description": c.name(locale),
             "metadata": False, "type": "realtime", "keywords": c.kind, "group": groups.get(c.kind, c.kind)}
            for c in rows]


def _window(query: RequestQuery, now: datetime) -> tuple[datetime, datetime | None]:
    """Return the created-at window: the dates given, else the last 90 days (the spec's default)."""
    if query.start is None and query.end is None:
        return now - DEFAULT_SPAN, None
    if query.start is None:
        return max(query.end, EARLIEST + DEFAULT_SPAN) - DEFAULT_SPAN, query.end
    return query.start, query.end


async def find_requests(session: AsyncSession, query: RequestQuery, now: datetime, tz: ZoneInfo,
                        locale: str) -> list[dict]:
    """Return the service requests matching the filters, newest first, at most MAX_RESULTS."""
    updated = (select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
               .group_by(CaseEvent.case_id).subquery())
    select_cases = (
        select(Case, updated.c.at).join(Village, Village.id == Case.village_id)
        .outerjoin(updated, updated.c.case_id == Case.id)
        .where(Case.confidential.is_(False))
    )
    if query.ids:
        select_cases = select_cases.where(Case.number.in_(query.ids))
    else:
        start, end = _window(query, now)
        select_cases = select_cases.where(Case.created_at >= start)
        if end is not None:
            select_cases = select_cases.where(Case.created_at <= end)
        if query.service_codes:
            select_cases = select_cases.where(Case.category_code.in_(query.service_codes))
        if query.statuses and len(set(query.statuses)) == 1:
            closed = Case.status == Status.closed
            select_cases = select_cases.where(closed if query.statuses[0] == "closed" else ~closed)
    rows = (await session.execute(select_cases.order_by(Case.created_at.desc(), Case.id.desc())
                                  .limit(MAX_RESULTS))).all()
    return [_request(case, last, tz, locale) for case, last in rows]


async def one_request(session: AsyncSession, number: str, now: datetime, tz: ZoneInfo, locale: str) -> dict:
    """Return one service request by its number; raise CaseNotFound for an unknown or confidential one."""
    found = await find_requests(session, RequestQuery(ids=(number,)), now, tz, locale) if number else []
    if not found:
        raise CaseNotFound()
    return found[0]


def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def _agency(case: Case, _) -> str:
    """Name the unit that answers for the case at its level, never a person."""
    township = case.village.township
    if case.level == Level.county:
        return township.county or _("county")
    if case.level == Level.township:
        return township.name
    return f"{township.name} {case.village.name}"


def _request(case: Case, updated: datetime | None, tz: ZoneInfo, locale: str) -> dict:
    """Turn a case into a GeoReport service request, without anything that names its reporter."""
    _ = wording.translations(locale).gettext
    notes = wording.status_name(case.status, _) if case.status != Status.resolved else _("answered")
    if case.disposition:
        notes += " · " + wording.disposition_name(case.disposition, _)
    village = case.village
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status == Status.closed else "open",
        "status_notes": notes,
        "service_name": case.category.name(locale),
        "service_code": case.category_code,
        "description": mask(case.summary, case.reporter),
        "agency_responsible": _agency(case, _),
        "service_notice": None,
        "requested_datetime": _iso(case.created_at, tz),
        "updated_datetime": _iso(max(filter(None, (updated, case.created_at))), tz),
        "expected_datetime": _iso(case.due_at, tz),
        "address": f"{village.township.name} {village.name}",
        "address_id": village.code,
        "zipcode": None,
        "lat": village.latitude,
        "long": village.longitude,
        "media_url": None,
    }


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


async def village_at(session: AsyncSession, address_id: str | None, lat: float | None, long: float | None
                     ) -> Village:
    """Return the village named by its code, else the nearest one to the location; raise InvalidInput."""
    if address_id:
        village = await session.scalar(select(Village).where(Village.code == address_id))
        if village is None:
            raise InvalidInput("address_id")
        return village
    if lat is None or long is None:
        raise InvalidInput("location")
    if not (-90 <= lat <= 90 and -180 <= long <= 180):
        raise InvalidInput("location")
    placed = (await session.scalars(select(Village).where(Village.latitude.is_not(None),
                                                          Village.longitude.is_not(None)))).all()
    nearest = min(placed, key=lambda v: distance_km(lat, long, v.latitude, v.longitude), default=None)
    if nearest is None or distance_km(lat, long, nearest.latitude, nearest.longitude) > MAX_DISTANCE_KM:
        raise InvalidInput("location")
    return nearest


def parse_coordinate(text: str | float | None) -> float | None:
    """Read lat or long; raise InvalidInput("lat") for anything but a finite number."""
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("lat") from None
    if not math.isfinite(value):
        raise InvalidInput("lat")
    return value


async def submit_request(session: AsyncSession, config: ServiceConfig, *, api_key: str | None,
                         service_code: str | None, description: str | None, now: datetime,
                         address_id: str | None = None, lat: str | float | None = None,
                         long: str | float | None = None, media_url: str | None = None) -> Case:
    """File a request from another system as a case, routed and numbered like a villager's report."""
    # The key first: a caller without one learns nothing about what else is wrong.
    reporter = await reporter_for(session, api_key)
    lat, long = parse_coordinate(lat), parse_coordinate(long)
    category = await session.get(Category, service_code) if service_code else None
    if category is None or category.confidential:
        raise InvalidInput("service_code")
    village = await village_at(session, address_id, lat, long)
    text = (description or "").strip()
    if media_url:
        # Never fetched (nothing is downloaded at run time): the cadre sees the address.
        text = f"{text}\n{media_url.strip()}".strip()
    parts = [Part(MessageKind.text, text=text)] if text else []
    if lat is not None and long is not None:
        parts.append(Part(MessageKind.location, latitude=lat, longitude=long))
    if not text:
        raise InvalidInput("description")
    return await submit_case(session, config, reporter=reporter, category_code=category.code, parts=parts,
                             anonymous=False, now=now, village=village)
