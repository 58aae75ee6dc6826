"""SQLAlchemy models and query helpers. Nothing here commits."""
from models.base import Base, UTCDateTime
from models.cases import Case, CaseCounter, CaseEvent, CaseHelper, CaseMessage
from models.delivery import ConversationState, MessageLink, OutboxMessage, ProcessedUpdate
from models.directory import Assignment, Category, Person, Township, Village
from models.policy import Broadcast, BroadcastRun, PolicyArticle
from models.web import ApiKey, LoginToken, WebSession

__all__ = [
    "ApiKey", "Assignment", "Base", "Broadcast", "BroadcastRun", "PolicyArticle", "Case", "CaseCounter", "CaseEvent", "CaseHelper", "CaseMessage",
    "Category", "ConversationState", "MessageLink", "OutboxMessage", "Person",
    "LoginToken", "ProcessedUpdate", "Township", "UTCDateTime", "Village", "WebSession",
]
