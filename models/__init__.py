"""SQLAlchemy models and query helpers. Nothing here commits."""
from models.base import Base, UTCDateTime
from models.cases import Case, CaseCounter, CaseEvent, CaseHelper, CaseMessage, Mediation
from models.delivery import ConversationState, MessageLink, OutboxMessage, ProcessedUpdate
from models.directory import Assignment, Category, Person, PersonEvent, Township, Village
from models.households import DiaryEntry, Household
from models.policy import Broadcast, BroadcastRun, PolicyArticle
from models.web import ApiKey, LoginToken, WebSession

__all__ = [
    "ApiKey", "Assignment", "Base", "Broadcast", "BroadcastRun", "PolicyArticle", "Case", "CaseCounter", "CaseEvent",
    "CaseHelper", "CaseMessage", "Category", "ConversationState", "DiaryEntry", "Household", "LoginToken",
    "Mediation", "MessageLink", "OutboxMessage", "Person", "PersonEvent", "ProcessedUpdate", "Township", "UTCDateTime", "Village",
    "WebSession",
]
