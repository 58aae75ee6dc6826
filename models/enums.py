"""Domain vocabularies shared by models and services (plain enums, no framework)."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    villager = "villager"
    cadre = "cadre"
    township_leader = "township_leader"
    county_leader = "county_leader"
    supervisor = "supervisor"
    inspector = "inspector"


STAFF_ROLES = frozenset(Role) - {Role.villager}


class Kind(StrEnum):
    complaint = "complaint"
    request = "request"
    question = "question"


class Level(StrEnum):
    village = "village"
    township = "township"
    county = "county"


class Status(StrEnum):
    submitted = "submitted"
    assigned = "assigned"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Disposition(StrEnum):
    resolved = "resolved"  # 解决到位
    explained = "explained"  # 解释到位
    assisted = "assisted"  # 帮扶到位
    referred_to_law = "referred_to_law"  # 依法查处
    deferred = "deferred"  # 暂缓，待条件成熟


class Rating(StrEnum):
    satisfied = "satisfied"  # 满意
    basically = "basically"  # 基本满意
    unsatisfied = "unsatisfied"  # 不满意


class CloseReason(StrEnum):
    confirmed = "confirmed"  # the villager said it is solved
    no_answer = "no_answer"  # the follow-up window passed
    signed_off = "signed_off"  # a supervisor signed it off


class EventKind(StrEnum):
    submitted = "submitted"
    assigned = "assigned"
    accepted = "accepted"
    message = "message"
    first_contact = "first_contact"
    resolved = "resolved"
    rated = "rated"
    reopened = "reopened"
    closed = "closed"
    escalated = "escalated"
    transferred = "transferred"
    extended = "extended"
    supervised = "supervised"
    revisited = "revisited"


class MessageKind(StrEnum):
    text = "text"
    photo = "photo"
    voice = "voice"
    document = "document"
    video = "video"
    location = "location"
