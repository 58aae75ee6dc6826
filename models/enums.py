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
# The channel of a villager record made for a household a cadre reports for (no account, never messaged).
HOUSEHOLD_CHANNEL = "household"


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
    # The villager is content; a supervisor still has to sign the case off (销号).
    awaiting_signoff = "awaiting_signoff"
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
    signoff_requested = "signoff_requested"
    returned = "returned"  # 退回: a supervisor sends the case back to its owner
    helper_added = "helper_added"
    helper_removed = "helper_removed"
    note = "note"  # an internal note of the team, never shown to the villager
    mediated = "mediated"
    flagged = "flagged"
    linked = "linked"  # 并单: one matter reported by several villagers


class PersonEventKind(StrEnum):
    """What happened to a person (not to a case): a supervisor's moderation."""

    muted = "muted"  # 禁言, with a reason
    unmuted = "unmuted"  # 解除禁言
    extra_case = "extra_case"  # allowed one more open case beyond MAX_OPEN_CASES, with a note


class MediationOutcome(StrEnum):
    success = "success"  # 调解成功
    failure = "failure"  # 调解不成


class MediationNextStep(StrEnum):
    """What follows a mediation that failed."""

    escalate = "escalate"  # 上报
    law = "law"  # 引导依法解决
    again = "again"  # 择日再调


class VisitKind(StrEnum):
    """The four visits (四访) of the cadre's diary."""

    life = "life"  # 访生活状况
    production = "production"  # 访生产情况
    policy = "policy"  # 访政策落实
    development = "development"  # 访发展大计


class HouseholdKind(StrEnum):
    """The five kinds of people a cadre makes friends with (五类人员)."""

    influential = "influential"  # 有威信的人
    sanctioned = "sanctioned"  # 受过党纪法规处理的人: shown only to the paired cadre and supervisors
    policy_doubt = "policy_doubt"  # 对落实政策有疑议的人
    relocated = "relocated"  # 征地拆迁户
    poor = "poor"  # 生活贫困户


class RiskFlag(StrEnum):
    """Why a case was flagged at intake (风险研判)."""

    repeat = "repeat"  # the same villager, the same category, within 30 days
    cluster = "cluster"  # three or more villagers of one village, one category, within 7 days
    danger = "danger"  # the words carry danger (上访, 喝药, 打架 ...)


class MessageKind(StrEnum):
    text = "text"
    photo = "photo"
    voice = "voice"
    document = "document"
    video = "video"
    location = "location"
