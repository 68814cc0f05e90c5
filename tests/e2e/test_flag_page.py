"""Flagging by hand: a new comment opens a case, the same comment again goes to that case."""

from casework.cases import queries

FORM = {
    "force": "warwickshire",
    "platform": "facebook",
    "channel": "Warwickshire Police",
    "external_id": "fb-123",
    "permalink": "https://facebook.com/warwickshirepolice/posts/1?c=123",
    "text": "You lot should be burned out of your homes",
    "reason": "race: threat",
    "author_handle": "angry_one",
    "posted_at": "2026-11-25T08:30",
}


def test_a_flag_opens_a_case_and_shows_it(cw, client, auth, make):
    admin = auth.as_actor(make.staff("admin"))
    response = client.post("/flag", data=FORM)
    assert response.status_code == 302
    ref = response.headers["Location"].rsplit("/", 1)[1]
    detail = queries.get_case(cw, admin, ref)
    assert detail.case.state == "detected" and detail.comment.text == FORM["text"]
    assert detail.case.posted_at.isoformat() == "2026-11-25T08:30:00+00:00"  # GMT in November
    assert f"Case {ref} opened." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_flagging_the_same_comment_again_goes_to_the_existing_case(client, auth, make):
    auth.as_actor(make.staff("admin"))
    first = client.post("/flag", data=FORM).headers["Location"]
    again = client.post("/flag", data={**FORM, "reason": "seen again"})
    assert again.headers["Location"] == first
    assert "already flagged: your flag was added to the existing case" in client.get(first).get_data(as_text=True)


def test_field_errors_are_shown_beside_the_fields_with_the_values_kept(client, auth, make):
    auth.as_actor(make.staff("admin"))
    response = client.post(
        "/flag", data={**FORM, "permalink": "javascript:alert(1)", "platform": "myspace", "text": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="permalink-error">must be an http(s) URL with a host' in page
    assert 'id="platform-error">must be one of' in page and 'id="text-error">required' in page
    assert 'value="Warwickshire Police"' in page and 'value="fb-123"' in page


def test_a_channel_admin_flags_only_for_their_own_forces(client, auth, make):
    auth.as_actor(make.staff("admin"))
    page = client.get("/flag").get_data(as_text=True)
    assert "West Mercia Police" not in page
    response = client.post("/flag", data={**FORM, "force": "west_mercia"})
    assert response.status_code == 403
