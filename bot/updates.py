"""Which updates were handled already: an update acts once, even when Telegram delivers it again."""
from __future__ import annotations

from collections import deque

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ProcessedUpdate

_PROCESSED = ProcessedUpdate.__table__
_HANDLED_BEFORE = select(_PROCESSED.c.update_id).where(_PROCESSED.c.update_id == bindparam("update_id"))


class HandledUpdates:
    """Tell whether an update was handled before, asking the database only when memory cannot say.

    A process that is the only one taking updates (the embedded SQLite default) knows every update it
    took; and since Telegram numbers updates in increasing order, one numbered above everything handled
    before this process started cannot have been handled by an earlier process. Only the others are
    looked up. With several processes (`exclusive=False`) every update is looked up.
    """

    def __init__(self, exclusive: bool, remember: int = 100_000):
        self.exclusive = exclusive
        self.remember = remember
        self.before_start: int | None = None  # the highest update id handled before this process started
        self.forgotten_up_to = 0  # ids at or below this have left memory
        self.taken: set[int] = set()
        self.order: deque[int] = deque()

    async def take(self, session: AsyncSession, update_id: int) -> bool:
        """Claim the update for handling; False when it was handled (or is being handled) already."""
        if self.exclusive:
            if self.before_start is None:
                self.before_start = await session.scalar(select(func.max(ProcessedUpdate.update_id))) or 0
            if update_id in self.taken:
                return False
            known = update_id > self.before_start and update_id > self.forgotten_up_to
            if not known and await session.scalar(_HANDLED_BEFORE, {"update_id": update_id}) is not None:
                return False
            self._remember(update_id)
            return True
        return await session.scalar(_HANDLED_BEFORE, {"update_id": update_id}) is None

    def release(self, update_id: int) -> None:
        """Forget a claim whose handling failed and was rolled back, so a redelivery is handled."""
        self.taken.discard(update_id)

    def _remember(self, update_id: int) -> None:
        self.taken.add(update_id)
        self.order.append(update_id)
        while len(self.order) > self.remember:
            oldest = self.order.popleft()
            self.taken.discard(oldest)
            self.forgotten_up_to = max(self.forgotten_up_to, oldest)
