"""@mentions in notes: the mentioned user of the case's force hears of it (inbox, and e-mail per their
preferences); nobody else does, and the note itself stays as written."""

from casework.cases import actions
from casework.notify import preferences
from tests.notify_support import recipients, rows


def test_a_mention_notifies_the_mentioned_user_of_the_cases_force_only(cw, make, staff):
    ref = make.case("admin_review")
    writer = staff.add("ann", "channel_admin")
    staff.add("bob.bureau", "crime_bureau")
    staff.add("wm.bob", "crime_bureau", force="west_mercia")
    note = "Same author as last week? @bob.bureau please check; @wm.bob @nobody.here, and ann@example.org is no mention"
    actions.add_comment(cw, writer, ref, note)
    assert recipients(cw, "inbox") == {"bob.bureau": "mentioned"}
    assert recipients(cw, "email") == {"bob.bureau": "mentioned"}
    [row] = rows(cw, channel="email")
    assert row.subject == f"{ref}: Ann mentioned you in a note" and row.payload["note"] == note


def test_a_user_who_turned_mention_e_mails_off_gets_the_inbox_item_only(cw, make, staff):
    ref = make.case("admin_review")
    writer = staff.add("ann", "channel_admin")
    staff.add("bob.bureau", "crime_bureau")
    preferences.set_preference(cw, "bob.bureau", "mentioned", email=False, inbox=True)
    actions.add_comment(cw, writer, ref, "@BOB.BUREAU over to you.")
    assert recipients(cw, "inbox") == {"bob.bureau": "mentioned"} and recipients(cw, "email") == {}


def test_mentioning_yourself_or_nobody_sends_nothing(cw, make, staff):
    ref = make.case("admin_review")
    writer = staff.add("ann", "channel_admin")
    actions.add_comment(cw, writer, ref, "note to self @ann; mail me at x@ann.example")
    assert rows(cw) == []
