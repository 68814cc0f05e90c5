"""Tables of finding cases: the search document of each case, its filter tags, and saved views of /cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from casework.storage.db import JSONType, UTCDateTime

# Built by the migration beside `case_search`, so the models do not declare them: the SQLite FTS5
# table (and its shadow tables), and PostgreSQL's generated `tsv` column with its GIN index.
UNMANAGED_TABLE_PREFIX = "case_search_fts"
UNMANAGED_COLUMNS = {("case_search", "tsv")}
UNMANAGED_INDEXES = {"ix_case_search_tsv"}


class SearchDoc(SQLModel, table=True):
    """What full-text search finds a case by; written in the transaction of the change that alters it."""

    __tablename__ = "case_search"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    force: str = Field(max_length=40)
    comment_text: str | None = None
    author: str | None = None  # handle and display name
    handle_key: str | None = Field(default=None, max_length=200, index=True)  # lower case, without "@"
    notes: str = ""  # internal notes, referral, advice and other text given with a step


class CaseTag(SQLModel, table=True):
    """One value of a multi-valued decision (category, strand, offence), so /cases filters use an index."""

    __tablename__ = "case_tags"
    __table_args__ = (Index("ix_case_tags_tag_case", "tag", "case_id"),)

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    tag: str = Field(max_length=80, primary_key=True)  # e.g. "strand:race"


class ListedCase(SQLModel, table=True):
    """A case a list consultation showed (SPEC §6), so a case's disclosure log finds the lists that showed it
    through an index: their events name the cases in JSON, which no index covers. Written with the event."""

    __tablename__ = "listed_cases"

    reference: str = Field(max_length=20, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, primary_key=True)  # the event's `at` and `actor`
    actor: str = Field(max_length=100, primary_key=True)


class SavedView(SQLModel, table=True):
    """A named /cases filter of one user, optionally shared with a team (a role in the owner's forces)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_views_owner_name"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=80)
    query: str = Field(max_length=2000)  # the /cases query string
    shared_role: str | None = Field(default=None, max_length=40)
    forces: list[str] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(sa_type=UTCDateTime)


def managed_by_models(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's `include_object`: leave the search objects the migration builds by hand out of comparisons."""
    if type_ == "table" and name and name.startswith(UNMANAGED_TABLE_PREFIX):
        return False
    if type_ == "index" and name in UNMANAGED_INDEXES:
        return False
    table = getattr(getattr(obj, "table", None), "name", None)
    return not (type_ == "column" and (table, name) in UNMANAGED_COLUMNS)
