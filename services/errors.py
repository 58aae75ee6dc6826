"""Typed domain failures. Handlers turn each into a clear, translated reply."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every failure a person can cause or meet."""


class CaseNotFound(DomainError):
    """No such case, or the person may not know it exists."""


class PersonNotFound(DomainError):
    """Nobody the person may act on answers to that id, @username or case number."""


class TooManyOpenCases(DomainError):
    """The villager has MAX_OPEN_CASES open cases already and no extra case allowed."""

    def __init__(self, open_cases: int):
        super().__init__(f"{open_cases} open cases")
        self.open_cases = open_cases


class NotAllowed(DomainError):
    """The person's role does not allow this action on this case."""


class InvalidTransition(DomainError):
    """The case's status does not allow this step now."""

    def __init__(self, status: str, action: str):
        super().__init__(f"{action} not allowed from {status}")
        self.status = status
        self.action = action


class NobodyToRoute(DomainError):
    """The directory names nobody who could take this case."""


class UnknownVillage(DomainError):
    """The village code is not in the directory."""


class InvalidInvitation(DomainError):
    """The invitation link is unknown or was already used."""


class InvalidInput(DomainError):
    """What the person gave cannot be used (empty, too long, wrong kind)."""


class DirectoryError(DomainError):
    """A directory import found bad rows; nothing was applied."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems
