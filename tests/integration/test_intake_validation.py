"""Bad input at intake: a clear error per field, and nothing written but the refusal event."""

import pytest
from sqlalchemy import func, select

from casework.errors import ValidationError
from casework.intake import flags as intake
from casework.storage.tables import Case, CaseEvent


def counts(cw):
    with cw.reader() as uow:
        cases = uow.session.execute(select(func.count()).select_from(Case)).scalar_one()
        last = uow.session.execute(select(CaseEvent).order_by(CaseEvent.seq.desc()).limit(1)).scalar_one_or_none()
        return cases, last


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("text", "", "required"),
        ("text", "   \n ", "required"),
        ("text", "x" * 100_000, "longer than 20000"),
        ("text", "bad \udcff bytes", "not valid UTF-8"),
        ("text", "nul \x00 here", "NUL"),
        ("permalink", "javascript:alert(1)", "http(s) URL"),
        ("permalink", "https://", "http(s) URL"),
        ("permalink", "not a url", "http(s) URL"),
        ("platform", "myspace", "one of"),
        ("force", "met", "unknown force"),
        ("external_id", "has space", "spaces"),
        ("posted_at", "yesterday", "ISO 8601"),
        ("posted_at", "2026-11-25T09:00:00", "time zone"),
        ("posted_at", "2027-01-01T00:00:00Z", "future"),
        ("text", 42, "must be text"),
    ],
)
def test_each_bad_field_is_refused_with_a_clear_message(cw, make, field, value, message):
    with pytest.raises(ValidationError) as raised:
        intake.flag_comment(cw, make.staff("admin"), make.flag_payload(**{field: value}))
    assert message in raised.value.errors[field]
    cases, last = counts(cw)
    assert cases == 0
    assert last.action == "refused" and last.case_id is None and field in last.data["errors"]


def test_unknown_fields_and_a_non_object_body_are_refused(cw, make):
    with pytest.raises(ValidationError, match="unknown field"):
        intake.flag_comment(cw, make.staff("admin"), make.flag_payload(colour="red"))
    with pytest.raises(ValidationError, match="expected an object"):
        intake.flag_comment(cw, make.staff("admin"), ["not", "a", "dict"])


def test_all_problems_are_reported_together(cw, make):
    with pytest.raises(ValidationError) as raised:
        intake.flag_comment(cw, make.staff("admin"), {"force": "warwickshire"})
    assert {"platform", "channel", "external_id", "permalink", "text", "reason"} <= set(raised.value.errors)


def test_hostile_text_is_stored_exactly_as_given(cw, make):
    text = "<script>alert('x')</script> ' OR 1=1; -- \u202e émoji 🚓"
    result = intake.flag_comment(cw, make.staff("admin"), make.flag_payload(text=text))
    from casework.cases import queries

    assert queries.get_case(cw, make.staff("admin"), result.case.reference).comment.text == text


def test_a_user_without_the_flagging_role_cannot_flag(cw, make):
    from casework.errors import PermissionDenied

    with pytest.raises(PermissionDenied, match="channel_admin"):
        intake.flag_comment(cw, make.staff("auditor"), make.flag_payload())
    assert counts(cw)[0] == 0
