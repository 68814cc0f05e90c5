"""`casework search QUERY --as USER`: the same search as the web, from the command line."""

from tests.integration.test_cli import FLAG, add_users, cli  # noqa: F401  (the CLI fixture on a real SQLite file)


def test_search_names_the_case_of_a_reference_and_lists_words(cli):  # noqa: F811
    add_users(cli)
    ref = cli(*FLAG).output.split("opened ")[1].split()[0]
    jump = cli("search", ref.lower().replace("-00000", "-"), "--as", "ann")
    assert jump.exit_code == 0 and jump.output.startswith(ref)
    found = cli("search", "nasty", "--as", "ann")
    assert found.exit_code == 0 and ref in found.output and "nasty" in found.output
    assert "no case of your forces matches" in cli("search", "absent", "--as", "ann").output
    assert cli("search", "x" * 201, "--as", "ann").exit_code == 3  # invalid input
