"""Who may see and do what to a case: the roles table of DESIGN.md as a table of verdicts."""
from __future__ import annotations

import pytest

from models import Case, Person, Village
from models.enums import Role
from services.errors import CaseNotFound, NotAllowed
from services.lifecycle import Action
from services.permissions import require_can, require_reporter, require_visible

SHIQIAO, QINGHE = 1, 2  # two townships; every case below lies in a village of 石桥镇
# The ordinary case is owned by the village cadre; the confidential one by the owner inspector.

# who -> (id, role, township)
PEOPLE = {
    "reporter": (1, Role.villager, SHIQIAO),
    "another villager": (2, Role.villager, SHIQIAO),
    "village cadre": (10, Role.cadre, SHIQIAO),
    "another cadre of the village": (11, Role.cadre, SHIQIAO),
    "helper cadre": (12, Role.cadre, SHIQIAO),
    "township leader": (20, Role.township_leader, SHIQIAO),
    "leader of another township": (21, Role.township_leader, QINGHE),
    "county leader": (30, Role.county_leader, None),
    "county supervisor": (40, Role.supervisor, None),
    "township supervisor": (41, Role.supervisor, SHIQIAO),
    "supervisor of another township": (42, Role.supervisor, QINGHE),
    "owner inspector": (50, Role.inspector, None),
    "another inspector": (51, Role.inspector, None),
}
HELPERS = {12}  # the team of the ordinary case; no service adds helpers to a confidential case
SEE, RATE = "see", "rate"
OK = "allowed"


def someone(who: str) -> Person:
    pid, role, township = PEOPLE[who]
    return Person(id=pid, name=who, role=role, township_id=township)


def a_case(confidential: bool) -> Case:
    owner = PEOPLE["owner inspector" if confidential else "village cadre"][0]
    return Case(id=1, number="2026-000001", reporter_id=1, owner_id=owner, confidential=confidential,
                anonymous=confidential, status="assigned", village=Village(id=1, code="sq01", township_id=SHIQIAO))


def check(who: str, action, confidential: bool) -> None:
    person, case = someone(who), a_case(confidential)
    helpers = frozenset() if confidential else HELPERS
    if action == SEE:
        require_visible(person, case, helpers)
    elif action == RATE:
        require_reporter(person, case)
    else:
        require_can(person, action, case, helpers)


A = Action
ORDINARY = [
    ("reporter", SEE, OK), ("reporter", A.reply, OK), ("reporter", RATE, OK),
    ("reporter", A.accept, NotAllowed), ("reporter", A.resolve, NotAllowed), ("reporter", A.transfer, NotAllowed),
    ("another villager", SEE, CaseNotFound), ("another villager", A.reply, CaseNotFound),
    ("another villager", RATE, CaseNotFound), ("another villager", A.accept, CaseNotFound),
    *[("village cadre", action, OK) for action in
      (SEE, A.accept, A.reply, A.resolve, A.escalate, A.transfer, A.extend)],
    ("village cadre", RATE, CaseNotFound),
    ("another cadre of the village", SEE, CaseNotFound),
    ("another cadre of the village", A.accept, CaseNotFound),
    ("another cadre of the village", A.resolve, CaseNotFound),
    ("another cadre of the village", A.reply, CaseNotFound),
    ("helper cadre", SEE, OK), ("helper cadre", A.reply, OK),
    ("helper cadre", A.accept, NotAllowed), ("helper cadre", A.resolve, NotAllowed),
    ("helper cadre", A.escalate, NotAllowed), ("helper cadre", A.transfer, NotAllowed),
    ("township leader", SEE, OK), ("township leader", A.transfer, OK),
    ("township leader", A.reply, NotAllowed), ("township leader", A.resolve, NotAllowed),
    ("township leader", A.accept, NotAllowed),
    ("leader of another township", SEE, CaseNotFound), ("leader of another township", A.transfer, CaseNotFound),
    ("county leader", SEE, OK), ("county leader", A.transfer, OK),
    ("county leader", A.resolve, NotAllowed), ("county leader", A.reply, NotAllowed),
    ("county supervisor", SEE, OK), ("county supervisor", A.transfer, NotAllowed),
    ("county supervisor", A.reply, NotAllowed), ("county supervisor", A.resolve, NotAllowed),
    ("township supervisor", SEE, OK), ("township supervisor", A.accept, NotAllowed),
    ("supervisor of another township", SEE, CaseNotFound),
    ("owner inspector", SEE, CaseNotFound), ("another inspector", SEE, CaseNotFound),
    ("another inspector", A.reply, CaseNotFound),
    # The team (一支队伍): helpers note and answer; only the owner changes the team, mediates, links.
    ("village cadre", A.note, OK), ("helper cadre", A.note, OK), ("village cadre", A.team, OK),
    ("village cadre", A.mediate, OK), ("village cadre", A.link, OK),
    ("helper cadre", A.team, NotAllowed), ("helper cadre", A.mediate, NotAllowed), ("helper cadre", A.link, NotAllowed),
    ("township leader", A.note, NotAllowed), ("township leader", A.team, NotAllowed),
    ("reporter", A.note, NotAllowed), ("reporter", A.team, NotAllowed),
    # Sign-off (销号): a supervisor of the area only.
    ("county supervisor", A.sign_off, OK), ("county supervisor", A.send_back, OK),
    ("township supervisor", A.sign_off, OK),
    ("supervisor of another township", A.sign_off, CaseNotFound),
    ("village cadre", A.sign_off, NotAllowed), ("helper cadre", A.send_back, NotAllowed),
    ("township leader", A.sign_off, NotAllowed), ("county leader", A.sign_off, NotAllowed),
    ("reporter", A.sign_off, NotAllowed),
]
CONFIDENTIAL = [
    ("reporter", SEE, OK), ("reporter", A.reply, OK), ("reporter", RATE, OK),
    ("owner inspector", SEE, OK), ("owner inspector", A.accept, OK), ("owner inspector", A.reply, OK),
    ("owner inspector", A.resolve, OK), ("owner inspector", A.extend, OK),
    ("another inspector", SEE, OK), ("another inspector", A.reply, NotAllowed),
    ("another inspector", A.resolve, NotAllowed),
    ("another villager", SEE, CaseNotFound),
    ("village cadre", SEE, CaseNotFound), ("village cadre", A.reply, CaseNotFound),
    ("helper cadre", SEE, CaseNotFound),
    ("another cadre of the village", SEE, CaseNotFound),
    ("township leader", SEE, CaseNotFound), ("township leader", A.transfer, CaseNotFound),
    ("county leader", SEE, CaseNotFound), ("county leader", A.transfer, CaseNotFound),
    ("county supervisor", SEE, CaseNotFound), ("township supervisor", SEE, CaseNotFound),
    ("county supervisor", A.sign_off, CaseNotFound), ("owner inspector", A.sign_off, NotAllowed),
    ("another inspector", A.note, NotAllowed),
]
TABLE = [pytest.param(who, action, verdict, False, id=f"{who}-{action}") for who, action, verdict in ORDINARY] + [
    pytest.param(who, action, verdict, True, id=f"confidential-{who}-{action}")
    for who, action, verdict in CONFIDENTIAL
]


@pytest.mark.parametrize(("who", "action", "verdict", "confidential"), TABLE)
def test_each_person_may_do_to_a_case_what_the_roles_table_says(who, action, verdict, confidential):
    if verdict == OK:
        check(who, action, confidential)
    else:
        with pytest.raises(verdict):
            check(who, action, confidential)


@pytest.mark.parametrize("who", [w for w in PEOPLE if w not in ("reporter", "owner inspector", "another inspector")])
def test_nobody_but_the_inspectors_and_the_reporter_sees_a_confidential_case(who):
    with pytest.raises(CaseNotFound):
        require_visible(someone(who), a_case(confidential=True))


def test_a_missing_case_and_a_hidden_case_look_the_same():
    with pytest.raises(CaseNotFound):
        require_visible(someone("county leader"), None)
    with pytest.raises(CaseNotFound):
        require_reporter(someone("reporter"), None)


def test_a_leader_of_another_township_may_not_reassign_even_when_shown_the_case_as_helper():
    leader = someone("leader of another township")

    require_visible(leader, a_case(False), helpers={leader.id})
    with pytest.raises(NotAllowed):
        require_can(leader, Action.transfer, a_case(False), helpers={leader.id})
