"""Open311 GeoReport v2 under /open311/v2/: services, requests (GET with the spec's filters, POST with a key).

JSON and XML, the errors as the spec's list of {code, description}. The OpenAPI description of these
routes (the app's /open311/v2/openapi.json) is what schemathesis checks them against.
"""
from __future__ import annotations

import logging
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services import open311
from services.errors import CaseNotFound, DomainError, InvalidInput, NobodyToRoute, NotAllowed
from web.context import db_session, web_context

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str
    address_id: str
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Created(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Error(BaseModel):
    code: int
    description: str


ERRORS = {400: {"model": list[Error], "description": "a parameter is missing or cannot be used"},
          403: {"model": list[Error], "description": "api_key is missing, unknown or revoked"},
          404: {"model": list[Error], "description": "no such service request"}}
XML_RESPONSE = {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "XML"}
XML_ERRORS = {code: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": e["description"]}
              for code, e in ERRORS.items()}
# What each refusal says, by the InvalidInput reason.
REASONS = {
    "service_code": "service_code is missing or not a service of this jurisdiction",
    "address_id": "address_id is not a village code of this jurisdiction",
    "location": "give address_id (a village code) or lat and long inside the county",
    "description": "description is required",
    "too_long": "description is too long",
    "start_date": "start_date is not a date-time (ISO 8601)",
    "end_date": "end_date is not a date-time (ISO 8601)",
    "status": "status must be open, closed or both",
    "jurisdiction_id": "unknown jurisdiction_id",
    "lat": "lat and long must be numbers",
}


def _locale(request: Request) -> str:
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh_CN"


def _xml(root: str, item: str, rows: list[dict]) -> Response:
    """Write rows as the spec's XML: <root><item><field>…</field></item></root>."""
    top = ElementTree.Element(root)
    for row in rows:
        element = ElementTree.SubElement(top, item)
        for key, value in row.items():
            ElementTree.SubElement(element, key).text = "" if value is None else (
                str(value).lower() if isinstance(value, bool) else str(value))
    return Response(ElementTree.tostring(top, encoding="utf-8", xml_declaration=True), media_type="application/xml")


def error(status: int, description: str, xml: bool) -> Response:
    """Return the spec's error list, [{code, description}], with the same HTTP status."""
    rows = [{"code": status, "description": description}]
    if xml:
        response = _xml("errors", "error", rows)
        response.status_code = status
        return response
    return JSONResponse(rows, status_code=status)


def _failure(exc: Exception, xml: bool) -> Response:
    """Turn a domain failure into the spec's error list with its HTTP status."""
    if isinstance(exc, NotAllowed):
        return error(403, "api_key is missing, unknown or revoked", xml)
    if isinstance(exc, CaseNotFound):
        return error(404, "no such service request", xml)
    if isinstance(exc, InvalidInput):
        return error(400, REASONS.get(str(exc), "a parameter cannot be used"), xml)
    if isinstance(exc, NobodyToRoute):
        return error(400, "nobody answers for that village yet", xml)
    return error(400, "the request cannot be used", xml)


def _jurisdiction(jurisdiction_id: str | None) -> None:
    """Accept the one jurisdiction this server is (any id the county gives it is not checked)."""
    if jurisdiction_id is not None and len(jurisdiction_id) > 200:
        raise InvalidInput("jurisdiction_id")


async def _services(request: Request, session: AsyncSession, jurisdiction_id: str | None, xml: bool):
    try:
        _jurisdiction(jurisdiction_id)
    except DomainError as exc:
        return _failure(exc, xml)
    rows = await open311.services_list(session, _locale(request))
    return _xml("services", "service", rows) if xml else rows


@router.get("/services.json", response_model=list[Service], responses={400: ERRORS[400]})
async def services_json(request: Request, jurisdiction_id: str | None = None,
                        session: AsyncSession = Depends(db_session)):
    """List the services (case categories) one can request; confidential ones are not offered."""
    return await _services(request, session, jurisdiction_id, xml=False)


@router.get("/services.xml", response_class=Response, responses={200: XML_RESPONSE, 400: XML_ERRORS[400]})
async def services_xml(request: Request, jurisdiction_id: str | None = None,
                       session: AsyncSession = Depends(db_session)):
    """List the services as XML."""
    return await _services(request, session, jurisdiction_id, xml=True)


async def _requests(request: Request, session: AsyncSession, xml: bool, *, jurisdiction_id, service_request_id,
                    service_code, start_date, end_date, status):
    web = web_context(request)
    tz = web.config.tz
    try:
        _jurisdiction(jurisdiction_id)
        query = open311.RequestQuery(
            ids=open311.parse_list(service_request_id), service_codes=open311.parse_list(service_code),
            start=open311.parse_moment(start_date, tz, "start_date"), end=open311.parse_moment(end_date, tz, "end_date"),
            statuses=open311.parse_statuses(status))
    except DomainError as exc:
        return _failure(exc, xml)
    rows = await open311.find_requests(session, query, web.clock(), tz, _locale(request))
    return _xml("service_requests", "request", rows) if xml else rows


FILTERS = {
    "service_request_id": Query(None, description="case numbers, comma-separated; other filters are then ignored"),
    "service_code": Query(None, description="service codes, comma-separated"),
    "start_date": Query(None, description="received at or after (ISO 8601)", json_schema_extra={"format": "date-time"}),
    "end_date": Query(None, description="received at or before (ISO 8601)", json_schema_extra={"format": "date-time"}),
    "status": Query(None, description="open, closed, or both comma-separated", pattern=r"^(open|closed)(,(open|closed))?$"),
}


@router.get("/requests.json", response_model=list[ServiceRequest], responses={400: ERRORS[400]})
async def requests_json(request: Request, jurisdiction_id: str | None = None,
                        service_request_id: str | None = FILTERS["service_request_id"],
                        service_code: str | None = FILTERS["service_code"],
                        start_date: str | None = FILTERS["start_date"], end_date: str | None = FILTERS["end_date"],
                        status: str | None = FILTERS["status"], session: AsyncSession = Depends(db_session)):
    """List service requests (the last 90 days unless dates are given; at most 1000), newest first."""
    return await _requests(request, session, False, jurisdiction_id=jurisdiction_id,
                           service_request_id=service_request_id, service_code=service_code,
                           start_date=start_date, end_date=end_date, status=status)


@router.get("/requests.xml", response_class=Response, responses={200: XML_RESPONSE, 400: XML_ERRORS[400]})
async def requests_xml(request: Request, jurisdiction_id: str | None = None,
                       service_request_id: str | None = FILTERS["service_request_id"],
                       service_code: str | None = FILTERS["service_code"],
                       start_date: str | None = FILTERS["start_date"], end_date: str | None = FILTERS["end_date"],
                       status: str | None = FILTERS["status"], session: AsyncSession = Depends(db_session)):
    """List service requests as XML."""
    return await _requests(request, session, True, jurisdiction_id=jurisdiction_id,
                           service_request_id=service_request_id, service_code=service_code,
                           start_date=start_date, end_date=end_date, status=status)


async def _one(request: Request, session: AsyncSession, number: str, jurisdiction_id: str | None, xml: bool):
    web = web_context(request)
    try:
        _jurisdiction(jurisdiction_id)
        row = await open311.one_request(session, number, web.clock(), web.config.tz, _locale(request))
    except DomainError as exc:
        return _failure(exc, xml)
    return _xml("service_requests", "request", [row]) if xml else [row]


@router.get("/requests/{service_request_id}.json", response_model=list[ServiceRequest],
            responses={400: ERRORS[400], 404: ERRORS[404]})
async def request_json(service_request_id: str, request: Request, jurisdiction_id: str | None = None,
                       session: AsyncSession = Depends(db_session)):
    """Return one service request by its case number."""
    return await _one(request, session, service_request_id, jurisdiction_id, xml=False)


@router.get("/requests/{service_request_id}.xml", response_class=Response,
            responses={200: XML_RESPONSE, 400: XML_ERRORS[400], 404: XML_ERRORS[404]})
async def request_xml(service_request_id: str, request: Request, jurisdiction_id: str | None = None,
                      session: AsyncSession = Depends(db_session)):
    """Return one service request as XML."""
    return await _one(request, session, service_request_id, jurisdiction_id, xml=True)


async def _create(request: Request, session: AsyncSession, xml: bool, *, api_key, jurisdiction_id, service_code,
                  address_id, lat, long, description, media_url):
    web = web_context(request)
    try:
        _jurisdiction(jurisdiction_id)
        case = await open311.submit_request(
            session, web.config, api_key=api_key, service_code=service_code, description=description,
            address_id=address_id, lat=lat, long=long, media_url=media_url, now=web.clock())
    except DomainError as exc:
        await session.rollback()
        return _failure(exc, xml)
    log.info("Open311 request filed as case %s", case.number)
    rows = [{"service_request_id": case.number, "service_notice": None, "account_id": None}]
    if xml:
        response = _xml("service_requests", "request", rows)
        response.status_code = 201
        return response
    return JSONResponse(rows, status_code=201)


@router.post("/requests.json", status_code=201, response_model=list[Created],
             responses={400: ERRORS[400], 403: ERRORS[403]})
async def create_json(request: Request, api_key: str | None = Form(None), jurisdiction_id: str | None = Form(None),
                      service_code: str | None = Form(None), address_id: str | None = Form(None),
                      lat: str | None = Form(None), long: str | None = Form(None),
                      description: str | None = Form(None), media_url: str | None = Form(None),
                      session: AsyncSession = Depends(db_session)):
    """File a request as a case for a village (address_id, or the nearest to lat/long); needs api_key.

    Names, e-mail, phone, device and account ids that the spec allows are not accepted: no personal
    data is stored from another system.
    """
    return await _create(request, session, False, api_key=api_key, jurisdiction_id=jurisdiction_id,
                         service_code=service_code, address_id=address_id, lat=lat, long=long,
                         description=description, media_url=media_url)


@router.post("/requests.xml", status_code=201, response_class=Response,
             responses={201: XML_RESPONSE, 400: XML_ERRORS[400], 403: XML_ERRORS[403]})
async def create_xml(request: Request, api_key: str | None = Form(None), jurisdiction_id: str | None = Form(None),
                     service_code: str | None = Form(None), address_id: str | None = Form(None),
                     lat: str | None = Form(None), long: str | None = Form(None),
                     description: str | None = Form(None), media_url: str | None = Form(None),
                     session: AsyncSession = Depends(db_session)):
    """File a request as a case; the answer in XML."""
    return await _create(request, session, True, api_key=api_key, jurisdiction_id=jurisdiction_id,
                         service_code=service_code, address_id=address_id, lat=lat, long=long,
                         description=description, media_url=media_url)
