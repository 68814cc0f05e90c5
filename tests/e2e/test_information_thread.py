"""The request-information loop keeps its thread: pre-filled re-referral, a required answer, every decision shown."""

import json
import re

import pytest

from casework.audit import exports
from casework.cases import actions
from tests.e2e.api_helpers import Bearer
from tests.factories import ADVICE, REFER

FIRST = {**REFER, "offences": ["pha_1997"], "note": "first referral: harassment?"}
QUESTION = {"question": "Has the author posted on other force channels?"}


@pytest.fixture
def asked(cw, make):
    """A case referred with an offence candidate, then sent back by the Crime Bureau with a question."""
    ref = make.case("admin_review")
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", FIRST)
    actions.apply_trigger(cw, make.staff("bureau"), ref, "request_information", QUESTION)
    return ref


def refer_form(page: str) -> str:
    return re.search(r'<form[^>]*transitions/refer".*?</form>', page, re.S).group(0)


def test_the_re_referral_form_starts_from_the_previous_referral_and_asks_for_the_answer(cw, make, asked, client, auth):
    auth.as_actor(make.staff("admin"))
    page = client.get(f"/cases/{asked}").get_data(as_text=True)
    form = refer_form(page)
    assert re.search(r'name="offences" value="pha_1997" checked', form)
    assert re.search(r'name="strands" value="race" checked', form)
    assert re.search(r'name="threat_to_life" value="no" checked', form)
    assert "first referral: harassment?</textarea>" in form
    assert 'name="answer"' in form and "Answer to the Crime Bureau" in form
    assert "Has the author posted on other force channels?" in page


def test_a_re_referral_without_an_answer_is_refused_and_with_one_goes_through(cw, make, asked, client, auth):
    auth.as_actor(make.staff("admin"))
    posted = {**FIRST, "threat_to_life": "no", "version": "4"}
    refused = client.post(f"/cases/{asked}/transitions/refer", data=posted)
    assert refused.status_code == 303  # back to the case's own page (post/redirect/get), the message with it
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Answer to the Crime Bureau&#39;s question is required" in page
    answered = client.post(f"/cases/{asked}/transitions/refer", data={**posted, "answer": "Yes, twice on Instagram."})
    assert answered.status_code == 302


def test_a_first_referral_asks_for_no_answer(cw, make, client, auth):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    assert 'name="answer"' not in refer_form(client.get(f"/cases/{ref}").get_data(as_text=True))


def answered_and_advised(cw, make, ref):
    second = {**REFER, "offences": ["mca_1988_s1"], "answer": "Yes, twice on Instagram."}
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", second)
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", ADVICE)


def test_the_decisions_panel_shows_every_referral_question_answer_and_advice_in_order(cw, make, asked, client, auth):
    answered_and_advised(cw, make, asked)
    auth.as_actor(make.staff("comms"))
    page = client.get(f"/cases/{asked}").get_data(as_text=True)
    panel = re.search(r'<section class="card" aria-labelledby="outcomes-h".*?</section>', page, re.S).group(0)
    kinds = re.findall(r'class="decision decision-(\w+)"', panel)
    assert kinds == ["referral", "question", "answer", "referral", "advice"]
    assert "Protection from Harassment Act 1997" in panel  # the first referral's offence candidate stays
    assert panel.index(QUESTION["question"]) < panel.index("Yes, twice on Instagram.")


def test_the_api_and_exports_carry_the_whole_thread(cw, make, asked, client):
    answered_and_advised(cw, make, asked)
    body = client.get(f"/api/v1/cases/{asked}", headers=Bearer(cw, make)("comms")).get_json()
    thread = [(d["kind"], d["actor"]) for d in body["decisions"]]
    assert thread == [
        ("referral", "wa.admin"),
        ("question", "wa.bureau"),
        ("answer", "wa.admin"),
        ("referral", "wa.admin"),
        ("advice", "wa.bureau"),
    ]
    assert body["decisions"][0]["inputs"]["offences"] == ["pha_1997"] and body["open_question"] is None
    export = exports.export_case(cw, make.staff("auditor"), asked, "json", "CPS", "file")
    exported = json.loads(b"".join(export.chunks()))
    assert [d["kind"] for d in exported["cases"][0]["decisions"]] == [k for k, _ in thread]
