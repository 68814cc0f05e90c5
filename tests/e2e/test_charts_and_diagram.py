"""The dashboard and the workflow page are drawn on the server as SVG, from the data and the declaration."""

import re

from workflows import A017


def test_the_workflow_diagram_shows_every_state_and_trigger_of_the_declaration(client, auth, make):
    auth.as_actor(make.staff("comms"))
    page = client.get("/workflow").get_data(as_text=True)
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    for state in A017.states:
        assert f">{state.label}</text>" in svg
    for t in A017.transitions:
        assert f'class="edge-label">{t.label}</text>' in svg
    assert len(re.findall(r'<path d="M [\d-]+ [\d-]+ V [^"]+" class="edge', svg)) == len(A017.transitions)
    assert "you referred this case" not in page and "Separation of duties" in page


def test_the_dashboard_counts_cases_by_state_force_age_and_outcome(client, auth, make, clock):
    make.case("detected")
    make.case("closed")
    clock.advance(hours=30)
    make.case("admin_review")
    make.case("detected", force="west_mercia")
    auth.as_actor(make.user("watcher", ["supervisor"], forces=["warwickshire", "west_mercia"]))
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert re.search(r'<th scope="row">Detected</th>\s*<td>1</td><td>1</td>\s*<td><strong>2</strong>', page)
    assert re.search(r"under 1 h</text>\s*<rect[^>]*><title>2</title>", page)  # the two just flagged
    assert re.search(r"1–2 days</text>\s*<rect[^>]*><title>1</title>", page)  # the one still detected
    assert re.search(r"Crime recorded</text>\s*<rect[^>]*><title>1</title>", page)


def test_the_workflow_page_states_the_rules_as_enforced(client, auth, make):
    auth.as_actor(make.staff("admin"))
    page = client.get("/workflow").get_data(as_text=True)
    rules = " ".join(page[page.index('id="rules"') :].split())
    assert "any advice, across reopens" in rules and "including re-referrals" in rules
    assert "becomes due 1 hour(s) after that referral, unless its 24-hour deadline" in rules
    assert "casework config check" in rules and "[redacted]" in rules
    assert "asked only when the Crime Bureau's question is open" in page
