"""Households the cadres befriend (结对帮扶) and the diary of their visits (民情日记)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime
from models.directory import Person, Village


class Household(Base):
    """A household of the directory, of one or more of the five kinds, paired with a cadre."""

    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_village", "village_id", "head"),
        Index("ix_households_paired", "paired_cadre_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    head: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    # HouseholdKind codes. "sanctioned" is shown only to the paired cadre and supervisors.
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    paired_cadre_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # When the current pairing began: the first visit is due a PAIR_VISIT_EVERY after it.
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The villager record that reports for the household: its own Telegram account, or one made
    # for cases a cadre files on its behalf (channel "household", never messaged).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    village: Mapped[Village] = relationship(lazy="joined")
    paired_cadre: Mapped[Person | None] = relationship(lazy="joined", foreign_keys=[paired_cadre_id])


class DiaryEntry(Base):
    """One household visit in a cadre's diary: which household, which of the four visits, what was seen."""

    __tablename__ = "diary_entries"
    __table_args__ = (
        Index("ix_diary_cadre", "cadre_id", "visited_at"),
        Index("ix_diary_household", "household_id", "visited_at"),
        Index("ix_diary_visited", "visited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    # A household not (yet) in the directory: the name the cadre wrote, and its village.
    household_name: Mapped[str | None] = mapped_column(String(100))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    kind: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The case the visit opened on the household's behalf (代为反映), if any.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    household: Mapped[Household | None] = relationship(lazy="joined")
    village: Mapped[Village] = relationship(lazy="joined")
