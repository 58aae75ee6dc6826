"""The outbox, links from sent messages to cases, and processed updates."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

# Lower numbers go first: case conversation, then reminders, then broadcasts.
PRIORITY_CONVERSATION = 0
PRIORITY_REMINDER = 5
PRIORITY_BROADCAST = 9


class OutboxMessage(Base):
    """One message to one person, written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        # Only pending rows, in the order the sender takes them: the claim reads a few index entries
        # however long the queue (a broadcast of 10,000) is.
        Index("ix_outbox_pending", "priority", "id",
              sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
              postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")),
        # A chat's pending rows in claim order: the claim checks that no earlier one is put off or held elsewhere.
        Index("ix_outbox_pending_person", "person_id", "priority", "id",
              sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
              postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    priority: Mapped[int] = mapped_column(Integer, default=PRIORITY_CONVERSATION)
    # What to say, channel-neutral: a notice kind and its parameters.
    payload: Mapped[dict] = mapped_column(JSON)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageLink(Base):
    """Which case a message in someone's chat belongs to, so replies find their case."""

    __tablename__ = "message_links"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))


class ProcessedUpdate(Base):
    """An update already handled; its effects committed with this row."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConversationState(Base):
    """Persistent conversation state (aiogram FSM) for the embedded default."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
