"""Cases, their append-only events and the messages of their conversation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime
from models.directory import Category, Person, Village


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("intake_key"),
        Index("ix_cases_owner_status", "owner_id", "status"),
        Index("ix_cases_reporter", "reporter_id", "created_at"),
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_next_check", "next_check_at"),
        Index("ix_cases_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    # The draft a case was filed from: pressing "Submit" twice files it once.
    intake_key: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    level: Mapped[str] = mapped_column(String(20), default="village")
    status: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    revisit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[str | None] = mapped_column(String(20))
    close_reason: Mapped[str | None] = mapped_column(String(20))
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline clock: when it started, where the reminders have got to, when it escalates.
    deadline_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_stage: Mapped[int] = mapped_column(Integer, default=0)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_stage: Mapped[int] = mapped_column(Integer, default=0)
    # The earliest moment a sweep has something to do for this case; NULL when nothing will be due.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship(lazy="joined")
    village: Mapped[Village] = relationship(lazy="joined")

    @property
    def township_id(self) -> int:
        """The township the case lies in (the permission rules ask it of a case or of a case's row)."""
        return self.village.township_id
    reporter: Mapped[Person] = relationship(lazy="joined", foreign_keys=[reporter_id])
    owner: Mapped[Person | None] = relationship(lazy="joined", foreign_keys=[owner_id])


class CaseHelper(Base):
    """A member of the team helping on a case (一支队伍)."""

    __tablename__ = "case_helpers"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class CaseEvent(Base):
    """One append-only change of a case: who, when, what, and a note."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship(lazy="joined")


class CaseMessage(Base):
    """A piece of the case conversation: the villager's description, a reply, a photo."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class CaseCounter(Base):
    """The last case number handed out in a year."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
