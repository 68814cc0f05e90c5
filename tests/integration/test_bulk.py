"""Bulk actions: each case its own action, transaction, event and version check; a cap with a clear message."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from casework.cases import actions
from casework.cases.bulk import MAX_CASES, Target, apply_to_many, check_targets
from casework.errors import ValidationError
from casework.storage.tables import Case, CaseEvent

DISMISS = {"reason_code": "spam", "note": "pile-on spam"}


def _versions(cw, refs):
    with cw.reader() as uow:
        rows = uow.session.execute(select(Case.reference, Case.version).where(col(Case.reference).in_(refs)))
        return dict(rows.all())


def _events(cw, action):
    with cw.reader() as uow:
        return uow.session.execute(select(CaseEvent).where(col(CaseEvent.action) == action)).scalars().all()


def test_a_bulk_dismiss_reports_done_refused_and_conflicts_case_by_case(cw, make):
    admin = make.staff("admin")
    refs = [make.case("admin_review") for _ in range(4)]
    detected = make.case("detected")  # dismiss is not allowed from detected
    loaded = _versions(cw, [*refs, detected])
    actions.assign(cw, make.staff("admin"), refs[1], None)  # someone changes one meanwhile
    targets = [Target(ref, loaded[ref]) for ref in [*refs, detected]]
    result = apply_to_many(cw, admin, "dismiss", DISMISS, targets)
    assert result.done == [refs[0], refs[2], refs[3]]
    assert result.conflicts == [(refs[1], loaded[refs[1]] + 1)]
    assert [ref for ref, _ in result.refused] == [detected]
    assert "dismiss" in result.refused[0][1]
    transitions = _events(cw, "transition")
    assert sum(e.data["trigger"] == "dismiss" for e in transitions) == 3  # one event per case done
    refused = _events(cw, "refused")
    assert sorted(e.data["reference"] for e in refused) == sorted([refs[1], detected])  # each refusal recorded
    assert _versions(cw, [refs[1]])[refs[1]] == loaded[refs[1]] + 1  # the conflicting case untouched since


def test_bulk_assign_and_start_review(cw, make):
    admin = make.staff("admin")
    refs = [make.case("detected") for _ in range(3)]
    loaded = _versions(cw, refs)
    result = apply_to_many(cw, admin, "start_review", {}, [Target(r, loaded[r]) for r in refs])
    assert result.done == refs
    other = make.user("wk.admin2", ["channel_admin"])
    now = _versions(cw, refs)
    result = apply_to_many(cw, admin, "assign", {"assignee": other.username}, [Target(r, now[r]) for r in refs])
    assert result.done == refs and not result.refused


def test_more_than_the_cap_is_refused_before_anything_changes(cw, make):
    raw = [{"reference": f"WK-2026-{n:06d}", "version": 1} for n in range(1, MAX_CASES + 2)]
    with pytest.raises(ValidationError) as refused:
        check_targets(raw)
    assert f"at most {MAX_CASES} cases at once; you chose {MAX_CASES + 1}" in refused.value.errors["cases"]
    with pytest.raises(ValidationError):
        apply_to_many(cw, make.staff("admin"), "dismiss", DISMISS, [Target(r["reference"], 1) for r in raw])
    assert _events(cw, "refused") == []


@pytest.mark.parametrize(
    "raw, field",
    [
        ([], "cases"),
        ([{"reference": "WK-2026-000001"}], "cases[0].version"),
        ([{"version": 1}], "cases[0].reference"),
        ([{"reference": "A", "version": 1}, {"reference": "A", "version": 1}], "cases[1].reference"),
        (["WK-2026-000001"], "cases[0].reference"),
    ],
)
def test_bad_targets_are_named(raw, field):
    with pytest.raises(ValidationError) as refused:
        check_targets(raw)
    assert field in refused.value.errors


def test_an_unknown_trigger_is_refused(cw, make):
    with pytest.raises(ValidationError) as refused:
        apply_to_many(cw, make.staff("admin"), "explode", {}, [Target("WK-2026-000001", 1)])
    assert "trigger" in refused.value.errors
