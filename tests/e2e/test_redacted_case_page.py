"""A redacted author is shown as "[redacted]" on the case page, never as a blank or as a handle in a link."""

from casework.cases import actions

NCHI = {"outcome": "nchi_recorded", "incident_reference": "INC/123", "advice": "record as NCHI"}


def test_the_case_page_shows_redacted_where_the_author_was(cw, make, client, auth):
    ref = make.case(
        "crime_bureau_advice",
        platform="x",
        external_id="1850000000000000002",
        permalink="https://x.com/Jo_Bloggs/status/1850000000000000002",
        author_handle="Jo_Bloggs",
        author_name="Jo Bloggs",
    )
    actions.apply_trigger(cw, make.staff("bureau"), ref, "give_advice", {**NCHI, "personal_data_threshold_met": "no"})
    auth.as_actor(make.staff("comms"))
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert "<dt>Author</dt><dd>[redacted]" in page
    assert "https://x.com/i/status/1850000000000000002" in page
    assert "Jo_Bloggs" not in page and "Jo Bloggs" not in page
