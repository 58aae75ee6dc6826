"""Who may see and do what to a case: the roles table of DESIGN.md, checked on the server."""
from __future__ import annotations

from models import Case, Person
from models.enums import Role
from services.errors import CaseNotFound, NotAllowed
from services.lifecycle import Action

# Actions only the owner takes; leaders may also reassign (transfer) inside their area.
OWNER_ACTIONS = frozenset({Action.accept, Action.resolve, Action.escalate, Action.transfer, Action.extend})


def in_area(person: Person, case: Case) -> bool:
    """Tell whether the case lies in the person's township (or they work for the whole county)."""
    return person.township_id is None or person.township_id == case.township_id


def can_see(person: Person, case: Case, helpers: set[int] = frozenset()) -> bool:
    """Tell whether the person may know that the case exists."""
    if case.reporter_id == person.id or case.owner_id == person.id or person.id in helpers:
        return True
    if case.confidential:
        return person.role == Role.inspector
    role = Role(person.role)
    if role is Role.county_leader:
        return True
    if role in (Role.township_leader, Role.supervisor):
        return in_area(person, case)
    return False


def require_visible(person: Person, case: Case | None, helpers: set[int] = frozenset()) -> Case:
    """Return the case, or raise CaseNotFound so that hidden cases look like missing ones."""
    if case is None or not can_see(person, case, helpers):
        raise CaseNotFound()
    return case


def require_can(person: Person, action: Action, case: Case, helpers: set[int] = frozenset()) -> None:
    """Raise NotAllowed unless the person may take `action` on the case."""
    require_visible(person, case, helpers)
    if action is Action.reply:
        if case.reporter_id == person.id or case.owner_id == person.id or person.id in helpers:
            return
        raise NotAllowed()
    if action in OWNER_ACTIONS and case.owner_id == person.id:
        return
    if action is Action.transfer and not case.confidential:
        role = Role(person.role)
        if role is Role.county_leader or (role is Role.township_leader and in_area(person, case)):
            return
    raise NotAllowed()


def require_reporter(person: Person, case: Case | None) -> Case:
    """Return the case if the person reported it, else raise CaseNotFound."""
    if case is None or case.reporter_id != person.id:
        raise CaseNotFound()
    return case
