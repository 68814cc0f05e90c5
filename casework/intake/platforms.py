"""Normalisers: a platform's payload in, the comments and comment changes it carries out (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import quote

from casework.errors import ValidationError


@dataclass(frozen=True)
class IncomingComment:
    """A comment as a platform delivered it, before the detector sees it."""

    platform: str
    account_id: str  # the force's page, account or channel it was posted to
    external_id: str
    permalink: str
    text: str
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    posted_at: str | None = None  # ISO 8601 with offset


@dataclass(frozen=True)
class CommentChange:
    """An edit, removal or hiding of a comment on the platform."""

    platform: str
    account_id: str
    external_id: str
    change: str  # edited | removed | hidden | unhidden
    text: str | None = None


Item = IncomingComment | CommentChange
_FACEBOOK_VERBS = {
    "edited": "edited",
    "edit": "edited",
    "update": "edited",
    "remove": "removed",
    "delete": "removed",
    "hide": "hidden",
    "unhide": "unhidden",
}


class _Reader:
    """Walks a payload and names the exact place of anything missing or of the wrong type."""

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def fail(self, path: str, problem: str) -> NoReturn:
        raise ValidationError({"payload": f"{path}: {problem}"}, f"{self.platform} payload: {path}: {problem}")

    def get(self, obj: Any, path: str, key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
        if not isinstance(obj, dict):
            self.fail(path or "(top level)", "expected an object")
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(_join(path, key), "required")
            return None
        if kind is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # ids sometimes arrive as numbers
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            self.fail(_join(path, key), f"expected {_kind_name(kind)}")
        if kind is str and required and isinstance(value, str) and not value.strip():
            self.fail(_join(path, key), "must not be empty")
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a number", list: "a list", dict: "an object", bool: "true or false"}
    return " or ".join(names[k] for k in kind) if isinstance(kind, tuple) else names[kind]


def _unix(r: _Reader, value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**34:
        r.fail(path, "expected Unix seconds")
    return datetime.fromtimestamp(value, UTC).isoformat()


def _meta_changes(r: _Reader, payload: Any, kind: str, fields: tuple[str, ...]) -> Iterator[tuple[str, str, Any]]:
    """Yield (account id, path, value) of each change to `fields` in a Meta (Facebook/Instagram) webhook."""
    if r.get(payload, "", "object", str) != kind:
        r.fail("object", f"expected {kind!r}")
    for n, entry in enumerate(r.get(payload, "", "entry", list)):
        where = f"entry[{n}]"
        account = r.get(entry, where, "id", str)
        for m, change in enumerate(r.get(entry, where, "changes", list, required=False) or []):
            at = f"{where}.changes[{m}]"
            if r.get(change, at, "field", str) in fields:
                yield account, f"{at}.value", r.get(change, at, "value", dict)


def facebook(payload: Any) -> list[Item]:
    """Facebook Page webhook: `feed` changes whose item is a comment."""
    r = _Reader("facebook")
    items: list[Item] = []
    for page, at, value in _meta_changes(r, payload, "page", ("feed",)):
        if r.get(value, at, "item", str) != "comment":
            continue
        verb = r.get(value, at, "verb", str)
        comment_id = r.get(value, at, "comment_id", str)
        if verb in _FACEBOOK_VERBS:
            items.append(
                CommentChange(
                    "facebook",
                    page,
                    comment_id,
                    _FACEBOOK_VERBS[verb],
                    r.get(value, at, "message", str, required=False),
                )
            )
        elif verb == "add":
            author = r.get(value, at, "from", dict, required=False) or {}
            message = r.get(value, at, "message", str, required=False)
            if not message or not message.strip():
                continue  # a photo or sticker without words: nothing for the detector
            items.append(
                IncomingComment(
                    "facebook",
                    page,
                    comment_id,
                    f"https://www.facebook.com/{quote(comment_id)}",
                    message,
                    author_id=r.get(author, f"{at}.from", "id", str, required=False),
                    author_name=r.get(author, f"{at}.from", "name", str, required=False),
                    posted_at=_unix(r, value.get("created_time"), f"{at}.created_time"),
                )
            )
    return items


def instagram(payload: Any) -> list[Item]:
    """Instagram webhook: `comments` changes (new comments; the payload has no comment time)."""
    r = _Reader("instagram")
    items: list[Item] = []
    for account, at, value in _meta_changes(r, payload, "instagram", ("comments", "live_comments")):
        comment_id = r.get(value, at, "id", str)
        author = r.get(value, at, "from", dict, required=False) or {}
        text = r.get(value, at, "text", str, required=False)
        if not text or not text.strip():
            continue
        media = r.get(value, at, "media", dict, required=False) or {}
        media_id = r.get(media, f"{at}.media", "id", str, required=False) or "unknown"
        items.append(
            IncomingComment(
                "instagram",
                account,
                comment_id,
                f"https://www.instagram.com/?media_id={quote(media_id)}&comment_id={quote(comment_id)}",
                text,
                author_id=r.get(author, f"{at}.from", "id", str, required=False),
                author_handle=r.get(author, f"{at}.from", "username", str, required=False),
            )
        )
    return items


def x(payload: Any) -> list[Item]:
    """X API v2 posts (`data` one post or a list, authors in `includes.users`); an edit has a new id."""
    r = _Reader("x")
    data = r.get(payload, "", "data", (dict, list))
    posts = data if isinstance(data, list) else [data]
    includes = r.get(payload, "", "includes", dict, required=False) or {}
    users = {}
    for n, user in enumerate(r.get(includes, "includes", "users", list, required=False) or []):
        users[r.get(user, f"includes.users[{n}]", "id", str)] = user
    items: list[Item] = []
    for n, post in enumerate(posts):
        at = "data" if isinstance(data, dict) else f"data[{n}]"
        post_id = r.get(post, at, "id", str)
        account = r.get(post, at, "in_reply_to_user_id", str, required=False)
        if not account:
            r.fail(f"{at}.in_reply_to_user_id", "required: it names the force account the post replies to")
        text = r.get(post, at, "text", str)
        author_id = r.get(post, at, "author_id", str, required=False)
        author = users.get(author_id, {})
        handle = author.get("username") if isinstance(author.get("username"), str) else None
        history = r.get(post, at, "edit_history_tweet_ids", list, required=False) or []
        if history and isinstance(history[0], str) and history[0] != post_id:
            items.append(CommentChange("x", account, history[0], "edited", text))
        permalink = (
            f"https://x.com/{quote(handle)}/status/{post_id}" if handle else f"https://x.com/i/web/status/{post_id}"
        )
        items.append(
            IncomingComment(
                "x",
                account,
                post_id,
                permalink,
                text,
                author_id=author_id,
                author_handle=handle,
                author_name=author.get("name") if isinstance(author.get("name"), str) else None,
                posted_at=r.get(post, at, "created_at", str, required=False),
            )
        )
    return items


def youtube(payload: Any) -> list[Item]:
    """YouTube Data API v3 commentThread resources (one, or a commentThreadListResponse), with replies."""
    r = _Reader("youtube")
    kind = r.get(payload, "", "kind", str)
    if kind == "youtube#commentThreadListResponse":
        threads = [(f"items[{n}]", t) for n, t in enumerate(r.get(payload, "", "items", list))]
    elif kind == "youtube#commentThread":
        threads = [("", payload)]
    else:
        r.fail("kind", "expected youtube#commentThread or youtube#commentThreadListResponse")
    items: list[Item] = []
    for where, thread in threads:
        snippet = r.get(thread, where, "snippet", dict)
        at = _join(where, "snippet")
        channel = r.get(snippet, at, "channelId", str)
        video = r.get(snippet, at, "videoId", str, required=False)
        comments = [(f"{at}.topLevelComment", r.get(snippet, at, "topLevelComment", dict))]
        replies = r.get(thread, where, "replies", dict, required=False) or {}
        comments += [
            (f"{_join(where, 'replies')}.comments[{n}]", c)
            for n, c in enumerate(r.get(replies, _join(where, "replies"), "comments", list, required=False) or [])
        ]
        for path, comment in comments:
            items.extend(_youtube_comment(r, path, comment, channel, video))
    return items


def _youtube_comment(r: _Reader, path: str, comment: Any, channel: str, video: str | None) -> list[Item]:
    comment_id = r.get(comment, path, "id", str)
    s = r.get(comment, path, "snippet", dict)
    at = f"{path}.snippet"
    text = r.get(s, at, "textOriginal", str, required=False) or r.get(s, at, "textDisplay", str, required=False)
    if not text or not text.strip():
        return []
    author_channel = r.get(s, at, "authorChannelId", dict, required=False) or {}
    video = r.get(s, at, "videoId", str, required=False) or video
    permalink = (
        f"https://www.youtube.com/watch?v={quote(video)}&lc={quote(comment_id)}"
        if video
        else f"https://www.youtube.com/channel/{quote(channel)}/community?lc={quote(comment_id)}"
    )
    items: list[Item] = [
        IncomingComment(
            "youtube",
            channel,
            comment_id,
            permalink,
            text,
            author_id=r.get(author_channel, f"{at}.authorChannelId", "value", str, required=False),
            author_handle=r.get(s, at, "authorDisplayName", str, required=False),
            author_name=r.get(s, at, "authorDisplayName", str, required=False),
            posted_at=r.get(s, at, "publishedAt", str, required=False),
        )
    ]
    if r.get(s, at, "moderationStatus", str, required=False) == "rejected":
        items.append(CommentChange("youtube", channel, comment_id, "removed"))
    return items


NORMALISERS: dict[str, Callable[[Any], list[Item]]] = {
    "facebook": facebook,
    "instagram": instagram,
    "x": x,
    "youtube": youtube,
}


def normalise(platform: str, payload: Any) -> list[Item]:
    """The comments and changes in one payload of `platform`; a ValidationError names what is malformed."""
    normaliser = NORMALISERS.get(platform)
    if normaliser is None:
        raise ValidationError({"platform": f"no normaliser for {platform!r}; known: {', '.join(NORMALISERS)}"})
    return normaliser(payload)
