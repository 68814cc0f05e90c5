"""Search: references jump, words rank with escaped snippets, redaction and forces hide cases, views are logged."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlmodel import col

from casework.audit import disclosure, retention
from casework.cases import actions
from casework.cases.search import pieces, reference_of, search
from casework.errors import ValidationError
from casework.storage.tables import CaseEvent
from tests.factories import REFER


def _refs(result):
    return [hit.reference for hit in result.hits]


@pytest.mark.parametrize("typed", ["WK-2026-000001", "wk-2026-1", "wk-2026-0001", " WK 2026 000001 ", "wk/2026/1"])
def test_a_reference_in_any_case_with_or_without_zeros_jumps_to_the_case(cw, make, typed):
    ref = make.case(text="nothing to see")
    assert ref == "WK-2026-000001"
    assert search(cw, make.staff("admin"), typed, via="web").jump == ref


def test_a_reference_of_another_force_does_not_jump(cw, make):
    ref = make.case(force="west_mercia")
    result = search(cw, make.staff("admin"), ref.lower(), via="web")
    assert result.jump is None and result.hits == []


def test_words_find_comment_text_and_rank_the_closer_match_first(cw, make):
    weak = make.case(text="the parade was noisy and the crowd cheered")
    strong = make.case(text="noisy noisy noisy parade of insults")
    make.case(text="a quiet afternoon")
    result = search(cw, make.staff("admin"), "noisy parade", via="web")
    assert _refs(result) == [strong, weak]


def test_notes_referral_and_advice_text_are_found(cw, make):
    ref = make.case("admin_review")
    actions.add_comment(cw, make.staff("admin"), ref, "rang the moderator about zebra")
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", {**REFER, "note": "looks like a giraffe threat"})
    admin = make.staff("admin")
    assert _refs(search(cw, admin, "zebra", via="web")) == [ref]
    assert _refs(search(cw, admin, "giraffe", via="web")) == [ref]


def test_an_author_handle_is_matched_exactly_and_by_words(cw, make):
    exact = make.case(author_handle="@Troll_King_99", text="first")
    make.case(author_handle="king_of_kindness", text="second")
    admin = make.staff("admin")
    result = search(cw, admin, "troll_king_99", via="web")
    assert _refs(result)[0] == exact and result.hits[0].exact_handle
    assert exact in _refs(search(cw, admin, "troll", via="web"))


def test_snippets_mark_the_words_and_keep_hostile_text_as_plain_pieces(cw, make):
    make.case(text="<script>alert(1)</script> you are a menace \ue000fake\ue001")
    hit = search(cw, make.staff("admin"), "menace", via="web").hits[0]
    assert ("menace", True) in hit.snippet
    assert any("alert(1)" in text and not matched for text, matched in hit.snippet)  # PostgreSQL drops the tags
    assert not any(mark in text for text, _ in hit.snippet for mark in "\ue000\ue001")
    assert pieces("a \ue000b\ue001 c\ue001") == [("a ", False), ("b", True), (" c", False)]


def test_redacted_text_and_author_are_no_longer_found(cw, make, clock):
    ref = make.case("closed", text="unforgettable slur", author_handle="nasty_person")
    admin = make.staff("admin")
    assert _refs(search(cw, admin, "unforgettable", via="web")) == [ref]
    clock.advance(days=7 * 366)  # past the six years kept for a recorded crime
    assert retention.run_retention(cw).redacted == [ref]
    assert search(cw, admin, "unforgettable", via="web").hits == []
    assert search(cw, admin, "nasty_person", via="web").hits == []


def test_cases_of_other_forces_are_not_found(cw, make):
    make.case(force="west_mercia", text="elsewhere only")
    assert search(cw, make.staff("admin"), "elsewhere", via="web").hits == []


def test_a_page_of_hits_is_one_consultation_naming_its_cases(cw, make):
    refs = [make.case(text=f"shared word {n}") for n in range(3)]
    search(cw, make.staff("admin"), "shared", via="api")
    search(cw, make.staff("admin"), "absent", via="api")  # nothing shown, nothing logged
    with cw.reader() as uow:
        views = uow.session.execute(select(CaseEvent).where(col(CaseEvent.action) == "viewed")).scalars().all()
    assert len(views) == 1
    assert views[0].actor == "wa.admin" and views[0].case_id is None
    assert sorted(views[0].data["references"]) == sorted(refs)
    assert views[0].data | {"references": None} == {
        "scope": "search",
        "via": "api",
        "query": "shared",
        "forces": ["warwickshire"],
        "references": None,
    }


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201, "a\x00b"])
def test_an_empty_or_overlong_query_is_refused(cw, make, bad):
    with pytest.raises(ValidationError):
        search(cw, make.staff("admin"), bad, via="web")


def test_query_syntax_is_never_read_as_fts_operators(cw, make):
    ref = make.case(text="apples OR pears NEAR oranges")
    assert _refs(search(cw, make.staff("admin"), 'apples" OR * NEAR(', via="web")) == [ref]


def test_reference_forms():
    assert reference_of("wm-2025-45") == "WM-2025-000045"
    assert reference_of("hate speech") is None


def test_a_word_in_very_many_cases_ranks_only_the_newest_window(cw, make, monkeypatch):
    monkeypatch.setattr("casework.cases.search.RANK_WINDOW", 2)
    make.case(text="common common common common")  # the best match, but older than the window
    newer = [make.case(text=f"common word {n}") for n in range(2)]
    assert sorted(_refs(search(cw, make.staff("admin"), "common", via="web"))) == newer


def test_the_newest_window_is_found_without_sorting_every_match(cw, make, monkeypatch):
    """`ORDER BY id OFFSET window` over every match read each matching row (a GIN index has no order)."""
    monkeypatch.setattr("casework.cases.search.RANK_WINDOW", 3)
    refs = [make.case(text=f"common word {n}") for n in range(8)]
    statements = []
    event.listen(cw.engine, "before_cursor_execute", lambda *args: statements.append(args[2].upper()))
    found = _refs(search(cw, make.staff("admin"), "common", via="web"))
    assert sorted(found) == refs[-3:]
    assert [s for s in statements if "OFFSET" in s and "CASE_SEARCH " in s and cw.engine.dialect.name != "sqlite"] == []


def test_auditors_see_search_consultations_in_the_users_disclosure_log(cw, make):
    ref = make.case(text="findable")
    search(cw, make.staff("admin"), "findable", via="web")
    [entry] = disclosure.by_user(cw, make.staff("auditor"), "wa.admin")
    assert entry.action == "viewed" and entry.via == "web" and ref in entry.what


def test_an_nchi_below_the_threshold_takes_the_author_out_of_the_index_at_once(cw, make):
    ref = make.case("crime_bureau_advice", text="remarkable words", author_handle="named_author")
    advice = {"outcome": "nchi_recorded", "incident_reference": "NCHI/1", "personal_data_threshold_met": "no"}
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", {**advice, "advice": "record as NCHI"})
    admin = make.staff("admin")
    assert search(cw, admin, "named_author", via="web").hits == []
    assert _refs(search(cw, admin, "remarkable", via="web")) == [ref]  # the text stays until retention
