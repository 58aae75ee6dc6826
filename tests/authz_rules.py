"""The roles table of DESIGN.md restated for the authorization matrix, independently of services/permissions.py.

The matrix is role × relation to the case × confidentiality × status × action. Roles and statuses come from
the code's own enums; what each may do is written out below as the DESIGN's table reads, so that a change
to the permission code that the table does not also say shows up as a failed cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from models.enums import Role, Status
from services.lifecycle import TRANSITIONS, Action

# The things a person can try on a case. Actions of services.lifecycle that nobody presses (assign is
# routing's, reopen/close/await_signoff follow the villager's verdict) are tried as RATE.
SEE, RATE = "see", "rate"
A = Action
TRIED = (SEE, RATE, A.accept, A.reply, A.resolve, A.escalate, A.transfer, A.extend, A.sign_off, A.send_back,
         A.note, A.team, A.mediate, A.link)
BY_THE_SYSTEM = {A.assign, A.reopen, A.close, A.await_signoff}

# Relations of a person to one case.
OWNER, HELPER, REPORTER, SAME_AREA, OTHER_AREA = "owner", "helper", "reporter", "same area", "other area"
RELATIONS = (OWNER, HELPER, REPORTER, SAME_AREA, OTHER_AREA)

OWNER_WORK = frozenset({SEE, A.accept, A.reply, A.resolve, A.escalate, A.transfer, A.extend, A.note, A.team,
                        A.mediate, A.link})
TEAM_WORK = frozenset({SEE, A.reply, A.note})
NOTHING: frozenset = frozenset()
NA = None  # the relation cannot arise for that kind of case (routing and transfer never make it)


@dataclass(frozen=True)
class Persona:
    role: Role
    relation: str
    who: str  # a name of the demo county, or one the matrix adds
    ordinary: frozenset | None  # what they may do to an ordinary case, before its status is considered
    conduct: frozenset | None  # ... to a 干部作风 case (confidential: the inspector's)

    @property
    def key(self) -> str:
        return f"{self.role}/{self.relation}/{self.who}"


R = Role
# DESIGN.md, "Roles and what each may do", one line per role and relation.
ROLES_TABLE = [
    # villager: report; see, answer and rate their own cases
    Persona(R.villager, REPORTER, "张大爷", frozenset({SEE, A.reply, RATE}), frozenset({SEE, A.reply, RATE})),
    Persona(R.villager, SAME_AREA, "李大妈", NOTHING, NOTHING),
    Persona(R.villager, OTHER_AREA, "王小明", NOTHING, NOTHING),
    # cadre: see and act on the cases they own or help on (a helper answers and keeps notes)
    Persona(R.cadre, OWNER, "王建国", OWNER_WORK, NA),
    Persona(R.cadre, HELPER, "孙丽", TEAM_WORK, NA),
    Persona(R.cadre, SAME_AREA, "李秀英", NOTHING, NOTHING),
    Persona(R.cadre, OTHER_AREA, "赵志强", NOTHING, NOTHING),
    # township_leader: see every case of the township; reassign inside it; own what is escalated to it
    Persona(R.township_leader, OWNER, "刘书记", OWNER_WORK, NA),
    Persona(R.township_leader, HELPER, "刘书记", TEAM_WORK | {A.transfer}, NA),
    Persona(R.township_leader, SAME_AREA, "刘书记", frozenset({SEE, A.transfer}), NOTHING),
    Persona(R.township_leader, OTHER_AREA, "周乡长", NOTHING, NOTHING),
    # county_leader: see every case; own what is escalated to the county (and reassign, as leaders do)
    Persona(R.county_leader, OWNER, "黄县长", OWNER_WORK, NA),
    Persona(R.county_leader, HELPER, "黄县长", TEAM_WORK | {A.transfer}, NA),
    Persona(R.county_leader, SAME_AREA, "黄县长", frozenset({SEE, A.transfer}), NOTHING),
    # supervisor: see the cases of their area (a county supervisor: all); sign off a closure or send it back
    Persona(R.supervisor, SAME_AREA, "石桥督查", frozenset({SEE, A.sign_off, A.send_back}), NOTHING),
    Persona(R.supervisor, SAME_AREA, "吴督查", frozenset({SEE, A.sign_off, A.send_back}), NOTHING),
    Persona(R.supervisor, OTHER_AREA, "清河督查", NOTHING, NOTHING),
    # inspector: own and see the 干部作风 cases, and nothing else
    Persona(R.inspector, OWNER, "郑纪检", NA, OWNER_WORK),
    Persona(R.inspector, HELPER, "钱纪检", NA, TEAM_WORK),
    Persona(R.inspector, SAME_AREA, "钱纪检", NOTHING, frozenset({SEE})),
]

# When each thing may be done, by the case's status (DESIGN.md, "Case lifecycle").
WORKING = {Status.assigned, Status.in_progress, Status.resolved, Status.awaiting_signoff}
HANDLING = {Status.assigned, Status.in_progress}
WHEN: dict[str, set[Status]] = {
    SEE: set(Status),
    RATE: {Status.resolved},  # the verdict is asked once the answer is in
    A.accept: {Status.assigned},
    A.reply: set(Status) - {Status.closed},  # the conversation stays open until the case is closed ...
    A.resolve: HANDLING, A.escalate: HANDLING, A.transfer: HANDLING, A.extend: HANDLING,
    A.sign_off: {Status.awaiting_signoff}, A.send_back: {Status.awaiting_signoff},
    A.note: WORKING, A.team: WORKING, A.link: WORKING,
    A.mediate: {Status.assigned, Status.in_progress, Status.resolved},
}
# The owner's level for each role that owns cases.
LEVEL = {R.cadre: "village", R.township_leader: "township", R.county_leader: "county", R.inspector: "village"}


def may_see(persona: Persona, confidential: bool) -> bool:
    return SEE in (persona.conduct if confidential else persona.ordinary)


def expected(persona: Persona, confidential: bool, status: Status, action: str) -> bool:
    """Tell whether the roles table allows the action, on that kind of case, in that status."""
    may = persona.conduct if confidential else persona.ordinary
    if action not in may or status not in WHEN[action]:
        return False
    if action is A.escalate:  # there is a level above, and 干部作风 cases never leave the inspectors
        return not confidential and LEVEL[persona.role] != "county"
    if action is A.reply and persona.relation != REPORTER:  # staff answer once the case has reached them
        return status != Status.submitted
    if action is A.mediate:  # mediations are recorded for disputes; the ordinary case is one, 干部作风 is not
        return not confidential
    return True


@dataclass(frozen=True)
class Cell:
    persona: Persona
    confidential: bool
    status: Status
    action: str

    @property
    def allowed(self) -> bool:
        return expected(self.persona, self.confidential, self.status, self.action)

    @property
    def hidden(self) -> bool:
        return not may_see(self.persona, self.confidential)

    def __str__(self) -> str:
        kind = "干部作风" if self.confidential else "ordinary"
        return f"{self.persona.key} {kind} {self.status} {self.action}"


def cells(actions=TRIED) -> list[Cell]:
    """Generate every cell that can arise: roles and statuses from the enums, relations from the table."""
    found = []
    for persona, confidential, status, action in product(ROLES_TABLE, (False, True), Status, actions):
        if (persona.conduct if confidential else persona.ordinary) is NA:
            continue
        found.append(Cell(persona, confidential, Status(status), action))
    return found


def status_table_agrees_with_lifecycle() -> list[str]:
    """Return where WHEN and the lifecycle's transition table disagree, for the actions it holds."""
    problems = []
    for action in TRIED:
        if action in (SEE, RATE, A.reply):
            continue
        lifecycle = {status for (status, act) in TRANSITIONS if act is action}
        if lifecycle != WHEN[action]:
            problems.append(f"{action}: table {sorted(WHEN[action])}, lifecycle {sorted(lifecycle)}")
    rate = {status for (status, act) in TRANSITIONS if act in (A.close, A.reopen)}
    if rate != WHEN[RATE]:
        problems.append(f"rate: table {sorted(WHEN[RATE])}, lifecycle {sorted(rate)}")
    return problems
