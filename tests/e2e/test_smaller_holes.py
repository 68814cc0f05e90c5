"""The smaller holes of issue 11, item 11: each one as it was found, and closed."""

import pytest
from sqlalchemy import select

from casework.access import users
from casework.cases import actions
from casework.intake.handles import author_key
from casework.storage.tables import Case
from tests.e2e.api_helpers import Bearer
from tests.e2e.session_support import sign_in_client
from tests.e2e.test_audit_pages import sign_in
from web.bidi import FSI, PDI, isolate

RLO = "\u202e"


def test_a_client_cannot_choose_who_detected_a_flag(client, cw, make):
    headers = Bearer(cw, make)("admin")
    forged = client.post("/api/v1/flags", json=make.flag_payload(detected_by="system:detector"), headers=headers)
    assert forged.status_code == 422 and forged.get_json()["errors"] == {"detected_by": "unknown field"}
    made = client.post("/api/v1/flags", json=make.flag_payload(), headers=headers)
    assert made.status_code == 201 and made.get_json()["detected_by"] == make.staff("admin").username


@pytest.mark.parametrize("path", ["/queue", "/api/v1/cases"])  # /audit pages by `before`: test_audit_log_pages
@pytest.mark.parametrize("page", ["99999999999999999999", "1000001", "0", "-3"])
def test_a_page_number_out_of_range_is_a_clear_4xx_not_a_500(client, cw, make, path, page):
    sign_in(client, make, "vera", ["channel_admin", "supervisor", "auditor"])
    response = client.get(f"{path}?page={page}", headers=Bearer(cw, make)("supervisor"))
    assert response.status_code in (400, 422), response.status_code
    assert "page" in response.get_data(as_text=True)


def test_bidi_controls_in_a_comment_or_name_are_isolated_wherever_they_are_shown(client, cw, make):
    reverser = f"evil{RLO}txet"
    ref = make.case("admin_review", text=f"hello {reverser}", author_name=reverser, reason=f"r {reverser}")
    actions.add_comment(cw, make.staff("admin"), ref, f"note {reverser}")
    roles = ["channel_admin", "supervisor", "auditor"]
    users.add_user(cw, "vera", roles=roles, forces=["warwickshire"], display_name=f"Vera {RLO}nosbor")
    sign_in_client(client, "vera")
    for path in (f"/cases/{ref}", "/queue", "/audit", f"/audit/cases/{ref}"):
        page = client.get(path).get_data(as_text=True)
        assert page.count(RLO) >= 2 and page.count(RLO) == _isolated(page), path


def _isolated(page: str) -> int:
    """How many U+202E sit inside an FSI … PDI pair."""
    count, depth = 0, 0
    for c in page:
        depth += c == FSI
        depth -= c == PDI and depth > 0
        count += c == RLO and depth > 0
    return count


@pytest.mark.parametrize(
    "value, shown",
    [
        ("plain", "plain"),
        (f"a{RLO}b", f"{FSI}a{RLO}b{PDI}"),
        (f"a{PDI}{RLO}b", f"{FSI}a{RLO}b{PDI}"),  # a stray PDI cannot close the wrapper early
        (f"a\u2067{RLO}b", f"{FSI}a\u2067{RLO}b{PDI}{PDI}"),  # an open isolate is closed inside it
    ],
)
def test_isolate_wraps_only_text_with_bidi_controls_and_balances_it(value, shown):
    assert isolate(value) == shown


@pytest.mark.parametrize(
    "disguised",
    [
        "author\u200b_one",
        "author_one\u200d",
        "AUTHOR_ONE",
        "ａｕｔｈｏｒ＿ｏｎｅ",
        "au\u00adthor_one",
        "author\ufe0f_one",
    ],
)
def test_a_disguised_handle_is_the_same_author(disguised):
    assert author_key("facebook", disguised) == author_key("facebook", "author_one") == "facebook:author_one"


def test_a_handle_with_a_zero_width_space_is_linked_as_the_same_author(cw, make):
    first = make.case(author_handle="author_one")
    second = make.case(author_handle="author\u200b_one")
    with cw.reader() as uow:
        keys = set(uow.session.execute(select(Case.author_key)).scalars())
    assert keys == {"facebook:author_one"}
    actions.link_cases(cw, make.staff("admin"), first, second)  # refused for two different authors


def test_csv_exports_name_their_charset_once(client, make):
    sign_in(client, make, "ann", ["auditor"])
    ref = make.case("closed")
    response = client.post(
        "/audit/exports",
        data={"scope": "case", "reference": ref, "format": "csv", "recipient": "CPS", "purpose": "charging file"},
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
