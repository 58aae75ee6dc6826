"""The county directory: townships, villages, categories, people and their assignments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime


class Township(Base):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    county: Mapped[str] = mapped_column(String(100), default="")

    villages: Mapped[list[Village]] = relationship(back_populates="township", order_by="Village.code")


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    # Optional (directory columns latitude, longitude): Open311 reports by location find the nearest village.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    township: Mapped[Township] = relationship(back_populates="villages", lazy="joined")


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    first_response_s: Mapped[int] = mapped_column(Integer)
    resolve_s: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Complaints about cadres' own conduct go to the inspector, never the village chain.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # A supervisor signs the closing off (销号): yes, no, or NULL for what SIGNOFF_REQUIRED says.
    needs_signoff: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, language: str) -> str:
        """Return the category name in the given language."""
        return self.name_en if language.startswith("en") else self.name_zh


class Person(Base):
    """Anyone the bot talks to: villagers and staff, identified per channel."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="telegram")
    external_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    invite_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Routine broadcasts; urgent notices reach everyone regardless.
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The Telegram @username, lower-case, kept up to date as the person writes (/mute @name finds them).
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    # Muted by a supervisor (禁言): the person's messages are not taken until unmuted. Who and why: PersonEvent.
    muted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    mute_reason: Mapped[str | None] = mapped_column(Text)
    # Cases a supervisor allowed beyond MAX_OPEN_CASES, one used by each case filed over it.
    extra_cases: Mapped[int] = mapped_column(Integer, default=0)

    # Loaded only where asked for: a person is loaded on every update, and with every case three times.
    village: Mapped[Village | None] = relationship(lazy="raise_on_sql", foreign_keys=[village_id])
    township: Mapped[Township | None] = relationship(lazy="raise_on_sql", foreign_keys=[township_id])


class Assignment(Base):
    """A cadre answers for a village: for one category, or by default (category NULL)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("village_id", "category_code", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)


class PersonEvent(Base):
    """One append-only event of a person (muted, unmuted, allowed another case): who, when, why."""

    __tablename__ = "person_events"
    __table_args__ = (Index("ix_person_events_person", "person_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship(lazy="joined", foreign_keys=[actor_id])
