"""The case page: forms drawn from the declaration, validation, guard refusals, stale versions, CSRF."""

import re

from casework.cases import actions, queries
from tests.e2e.session_support import sign_in_client
from tests.factories import REFER
from web import create_app


def _version(cw, make, ref):
    return queries.get_case(cw, make.staff("auditor"), ref).case.version


def _state(cw, make, ref):
    return queries.get_case(cw, make.staff("auditor"), ref).case.state


def _back_at_the_case(client, response, ref, anchor="#act"):
    """A refused post answers 303 to the case's own address; the page there shows what went wrong."""
    assert response.status_code == 303 and response.headers["Location"] == f"/cases/{ref}{anchor}"
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_admin_sees_the_forms_of_admin_review_with_their_declared_inputs(client, auth, make):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    for trigger in ("dismiss", "refer", "moderate"):
        assert f'action="/cases/{ref}/transitions/{trigger}"' in page
    assert "transitions/give_advice" not in page and "transitions/close" not in page
    assert 'type="radio" name="reason_code" value="false_positive"' in page
    assert 'type="checkbox" name="category" value="hate_crime"' in page
    assert 'type="radio" name="threat_to_life" value="yes"' in page
    assert 'name="version" value="2"' in page
    assert "Required when Category is Hate crime" in page


def test_choices_are_limited_to_what_the_platform_supports(client, auth, make):
    ref = make.case("comms_action", platform="youtube")
    auth.as_actor(make.staff("comms"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    form = page.split('transitions/close"')[1].split("</form>")[0]
    assert 'value="rejected"' in form and 'value="hidden"' not in form and 'value="deleted"' not in form


def test_a_valid_transition_moves_the_case_and_says_so(cw, client, auth, make):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    response = client.post(
        f"/cases/{ref}/transitions/refer",
        data={
            "category": ["hate_crime"],
            "strands": ["race", "religion"],
            "threat_to_life": "no",
            "note": "please advise",
            "version": str(_version(cw, make, ref)),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{ref}"
    assert _state(cw, make, ref) == "crime_bureau_advice"
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "the case is now at “Crime Bureau advice”" in page
    assert "Race, Religion" in page


def test_invalid_input_is_shown_per_field_with_what_the_user_typed(cw, client, auth, make):
    ref = make.case("admin_review")
    auth.as_actor(make.staff("admin"))
    response = client.post(
        f"/cases/{ref}/transitions/refer",
        data={"category": ["hate_crime"], "note": "my careful note", "version": str(_version(cw, make, ref))},
    )
    page = _back_at_the_case(client, response, ref)
    assert "Some fields need attention; nothing was changed." in page
    assert "Monitored strands is required" in page and "Threat to life is required" in page
    assert "my careful note</textarea>" in page
    assert 'value="hate_crime" checked' in page
    assert re.search(r'<details class="action[^"]*" id="step-refer" open>\s*<summary>Refer to Crime Bureau', page)
    assert '<a href="#refer-strands">Monitored strands is required</a>' in page  # the summary links to the field
    assert _state(cw, make, ref) == "admin_review"
    again = client.get(f"/cases/{ref}").get_data(as_text=True)  # a reload starts clean
    assert "Some fields need attention" not in again and "my careful note" not in again


def test_a_stale_version_is_refused_with_a_clear_message(cw, client, auth, make):
    ref = make.case("admin_review")
    seen = _version(cw, make, ref)
    actions.apply_trigger(cw, make.staff("admin"), ref, "refer", REFER)
    auth.as_actor(make.user("other.admin", ["channel_admin"]))
    response = client.post(
        f"/cases/{ref}/transitions/dismiss", data={"reason_code": "spam", "note": "spam", "version": str(seen)}
    )
    page = _back_at_the_case(client, response, ref)
    assert "Someone else changed this case since you opened it" in page
    assert "It is now at <strong>Crime Bureau advice</strong>" in page
    assert _state(cw, make, ref) == "crime_bureau_advice"


def test_a_guard_refusal_is_shown_with_its_reason(cw, client, auth, make):
    both = make.user("both.roles", ["channel_admin", "crime_bureau"])
    ref = make.case("detected")
    actions.apply_trigger(cw, both, ref, "start_review")
    actions.apply_trigger(cw, both, ref, "refer", REFER)
    auth.as_actor(both)
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "transitions/give_advice" not in page
    assert "<strong>Give advice</strong> is not open to you: you referred this case" in page
    response = client.post(
        f"/cases/{ref}/transitions/give_advice",
        data={"outcome": "no_crime", "rationale": "none", "advice": "none", "version": str(_version(cw, make, ref))},
    )
    page = _back_at_the_case(client, response, ref)
    assert "Refused: you referred this case, so another Crime Bureau member must give the advice." in page
    assert [e.action for e in queries.history(cw, both, ref).events][-2:] == ["refused", "viewed"]


def test_a_transition_form_without_its_csrf_token_is_refused(cw, make):
    app = create_app({"CASEWORK": cw, "TESTING": True})  # CSRF on, as in production
    client = app.test_client()
    ref = make.case("detected")
    sign_in_client(client, make.staff("admin").username)
    url = f"/cases/{ref}/transitions/start_review"
    refused = client.post(url, data={"version": "1"})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert _state(cw, make, ref) == "detected"
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"version": "1", "csrf_token": token}).status_code == 302
    assert _state(cw, make, ref) == "admin_review"


def test_a_post_without_the_version_is_refused(cw, client, auth, make):
    ref = make.case("detected")
    auth.as_actor(make.staff("admin"))
    assert client.post(f"/cases/{ref}/transitions/start_review").status_code == 400
    assert _state(cw, make, ref) == "detected"


def test_an_unknown_trigger_is_not_found(client, auth, make):
    ref = make.case("detected")
    auth.as_actor(make.staff("admin"))
    assert client.post(f"/cases/{ref}/transitions/teleport", data={"version": "1"}).status_code == 404


def test_a_member_of_the_owning_team_assigns_the_case(cw, client, auth, make):
    ref = make.case("comms_action")
    mate = make.user("comms.mate", ["comms"])
    auth.as_actor(make.staff("comms"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "Assign to me" in page and 'value="comms.mate"' in page
    response = client.post(
        f"/cases/{ref}/assign", data={"assignee": "comms.mate", "version": str(_version(cw, make, ref))}
    )
    assert response.status_code == 302
    assert queries.get_case(cw, mate, ref).assignee.username == "comms.mate"


def test_assigning_to_someone_outside_the_team_is_refused(cw, client, auth, make):
    ref = make.case("comms_action")
    make.user("an.admin", ["channel_admin"])
    auth.as_actor(make.staff("comms"))
    response = client.post(
        f"/cases/{ref}/assign", data={"assignee": "an.admin", "version": str(_version(cw, make, ref))}
    )
    assert "an.admin is not a Comms of Warwickshire Police" in _back_at_the_case(client, response, ref, "")


def test_an_internal_note_joins_the_timeline(client, auth, make):
    ref = make.case("detected")
    auth.as_actor(make.staff("admin"))
    assert client.post(f"/cases/{ref}/comments", data={"text": "called the page owner"}).status_code == 302
    assert "called the page owner" in client.get(f"/cases/{ref}").get_data(as_text=True)
    empty = client.post(f"/cases/{ref}/comments", data={"text": "  "})
    assert "a note of 1-10000 characters is required" in _back_at_the_case(client, empty, ref, "#note-h")


def test_the_authors_other_cases_are_listed_and_can_be_linked(client, auth, make):
    first = make.case("detected", author_handle="repeat_author")
    second = make.case("detected", author_handle="repeat_author")
    auth.as_actor(make.staff("admin"))
    page = client.get(f"/cases/{second}").get_data(as_text=True)
    assert f'href="/cases/{first}"' in page and f"Link {first} to this case" in page
    assert client.post(f"/cases/{second}/links", data={"other": first}).status_code == 302
    page = client.get(f"/cases/{second}").get_data(as_text=True)
    assert "Linked cases" in page and f"Link {first} to this case" not in page


def test_the_evidence_shows_digest_permalink_and_platform(client, auth, make):
    ref = make.case("detected", platform="instagram", permalink="https://instagram.com/p/xyz")
    auth.as_actor(make.staff("admin"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert re.search(r'<code class="digest"[^>]*>[0-9a-f]{64}</code>', page)
    assert 'href="https://instagram.com/p/xyz" rel="noopener noreferrer nofollow"' in page
    assert "Instagram" in page
