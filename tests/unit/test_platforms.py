"""Normalisers and channel configuration: the samples read correctly, malformed input is named precisely."""

from __future__ import annotations

import json

import pytest

from casework.config import DEFAULT_FORCES
from casework.errors import ValidationError
from casework.intake import platforms
from casework.intake.channels import load_channels
from tests.e2e.api_helpers import DATA, SAMPLES


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def test_a_facebook_feed_comment_becomes_one_comment():
    [comment] = platforms.facebook(sample("facebook-feed-comment.json"))
    assert comment.account_id == "104567890123456" and comment.author_name == "Jane Example"
    assert comment.posted_at == "2025-11-25T11:49:58+00:00"
    assert comment.permalink.startswith("https://www.facebook.com/")


@pytest.mark.parametrize("verb, change", [("edited", "edited"), ("remove", "removed"), ("hide", "hidden")])
def test_facebook_edits_and_removals_become_changes(verb, change):
    payload = sample("facebook-feed-comment.json")
    payload["entry"][0]["changes"][0]["value"]["verb"] = verb
    [item] = platforms.facebook(payload)
    assert isinstance(item, platforms.CommentChange) and item.change == change


def test_facebook_events_that_are_not_comments_are_skipped():
    payload = sample("facebook-feed-comment.json")
    payload["entry"][0]["changes"][0]["value"]["item"] = "reaction"
    assert platforms.facebook(payload) == []


def test_an_instagram_comment_has_no_time_but_has_its_author():
    [comment] = platforms.instagram(sample("instagram-comment.json"))
    assert comment.posted_at is None and comment.author_handle == "example_user"


def test_an_x_reply_is_addressed_to_the_account_it_replies_to():
    [comment] = platforms.x(sample("x-v2-reply.json"))
    assert comment.account_id == "1102323333"
    assert comment.permalink == "https://x.com/example_person/status/1861234567890123456"


def test_a_youtube_thread_links_to_the_comment_and_includes_replies():
    thread = sample("youtube-comment-thread.json")
    reply = json.loads(json.dumps(thread["snippet"]["topLevelComment"]))
    reply["id"] = "UgzReply"
    thread["replies"] = {"comments": [reply]}
    items = platforms.youtube({"kind": "youtube#commentThreadListResponse", "items": [thread]})
    assert [i.external_id for i in items] == ["UgzExampleCommentId", "UgzReply"]
    assert items[0].permalink == "https://www.youtube.com/watch?v=dQwExample1&lc=UgzExampleCommentId"


@pytest.mark.parametrize(
    "platform, payload, where",
    [
        ("facebook", [], "(top level): expected an object"),
        ("facebook", {"object": "page", "entry": {}}, "entry: expected a list"),
        (
            "instagram",
            {
                "object": "instagram",
                "entry": [{"id": "1", "changes": [{"field": "comments", "value": {"text": "hi"}}]}],
            },
            "entry[0].changes[0].value.id: required",
        ),
        ("x", {"data": {"id": "1", "text": "hi"}}, "data.in_reply_to_user_id: required"),
        ("x", {"data": [{"id": 5, "text": ["no"], "in_reply_to_user_id": "1"}]}, "data[0].text: expected text"),
        ("youtube", {"kind": "youtube#video"}, "kind: expected youtube#commentThread"),
        (
            "youtube",
            {
                "kind": "youtube#commentThread",
                "snippet": {"channelId": "c", "topLevelComment": {"id": "x", "snippet": "oops"}},
            },
            "snippet.topLevelComment.snippet: expected an object",
        ),
    ],
)
def test_malformed_payloads_name_the_place_and_the_problem(platform, payload, where):
    with pytest.raises(ValidationError) as caught:
        platforms.normalise(platform, payload)
    assert where in caught.value.message and caught.value.message.startswith(f"{platform} payload")


def test_the_channels_file_maps_accounts_to_forces():
    channels = load_channels(DATA / "channels.toml", DEFAULT_FORCES)
    assert channels.resolve("x", "1102323333").force == "west_mercia"
    with pytest.raises(ValidationError, match="not a configured channel"):
        channels.resolve("x", "42")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("[[channel]]\nplatform='myspace'\naccount_id='1'\nforce='warwickshire'\nname='n'", "channel[0].platform"),
        ("[[channel]]\nplatform='x'\naccount_id='1'\nforce='kent'\nname='n'", "channel[0].force"),
        ("[[channel]]\nplatform='x'\nforce='warwickshire'\nname='n'", "channel[0].account_id"),
        ("[[channel]]\nplatform='x'\naccount_id='1'\nforce='warwickshire'\nname='n'\n" * 2, "listed twice"),
        ("title='none'", "at least one [[channel]]"),
        ("[[channel]\n", "channels.toml"),
    ],
)
def test_a_bad_channels_file_is_refused_clearly(tmp_path, text, problem):
    path = tmp_path / "channels.toml"
    path.write_text(text)
    with pytest.raises(ValidationError) as caught:
        load_channels(path, DEFAULT_FORCES)
    assert problem in caught.value.message
