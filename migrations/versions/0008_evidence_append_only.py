"""audit: the captured comment (evidence) is append-only except for redaction

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

An UPDATE of `comments` may only blank fields (the redaction path: personal columns and the same
keys of `captured` set to null or "[redacted]", the captured permalink rewritten without the author,
`redacted_at` set once); the case, the digest and every kept value
stay. DELETE is refused. `audit verify` checks the rows against their events as well.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

EVIDENCE_ONLY_REDACTED = "comments is evidence: a comment is never deleted, and only redaction may blank its fields"
_PERSONAL = ("text", "author_handle", "author_name", "author_id")

_SQLITE_NOT_REDACTION = " OR ".join(
    [
        "NEW.case_id IS NOT OLD.case_id",
        "NEW.digest IS NOT OLD.digest",
        "(OLD.redacted_at IS NOT NULL AND NEW.redacted_at IS NOT OLD.redacted_at)",
        *(f"(NEW.{c} IS NOT NULL AND NEW.{c} IS NOT '[redacted]' AND NEW.{c} IS NOT OLD.{c})" for c in _PERSONAL),
        "(SELECT count(*) FROM json_each(NEW.captured)) != (SELECT count(*) FROM json_each(OLD.captured))",
        "EXISTS (SELECT 1 FROM json_each(OLD.captured) AS o WHERE NOT EXISTS (SELECT 1 FROM json_each(NEW.captured)"
        " AS n WHERE n.key = o.key AND (n.type = 'null' OR n.value IS '[redacted]' OR n.key = 'permalink'"
        " OR (n.type = o.type AND n.value IS o.value))))",
    ]
)
_POSTGRES_NOT_REDACTION = " OR ".join(
    [
        "NEW.case_id IS DISTINCT FROM OLD.case_id",
        "NEW.digest IS DISTINCT FROM OLD.digest",
        "(OLD.redacted_at IS NOT NULL AND NEW.redacted_at IS DISTINCT FROM OLD.redacted_at)",
        *(f"(NEW.{c} IS NOT NULL AND NEW.{c} <> '[redacted]' AND NEW.{c} IS DISTINCT FROM OLD.{c})" for c in _PERSONAL),
        "EXISTS (SELECT 1 FROM jsonb_each(OLD.captured::jsonb) o FULL JOIN jsonb_each(NEW.captured::jsonb) n"
        " ON n.key = o.key WHERE o.key IS NULL OR n.key IS NULL"
        " OR (n.value <> o.value AND n.value <> 'null'::jsonb AND n.value <> '\"[redacted]\"'::jsonb"
        " AND n.key <> 'permalink'))",
    ]
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER comments_no_delete BEFORE DELETE ON comments "
                   f"BEGIN SELECT RAISE(ABORT, '{EVIDENCE_ONLY_REDACTED}'); END")
        op.execute(f"CREATE TRIGGER comments_only_redacted BEFORE UPDATE ON comments WHEN {_SQLITE_NOT_REDACTION} "
                   f"BEGIN SELECT RAISE(ABORT, '{EVIDENCE_ONLY_REDACTED}'); END")
        return
    op.execute(f"""CREATE FUNCTION casework_refuse_evidence_change() RETURNS trigger LANGUAGE plpgsql AS $$
                   BEGIN
                     IF TG_OP = 'UPDATE' AND NOT ({_POSTGRES_NOT_REDACTION}) THEN RETURN NEW; END IF;
                     RAISE EXCEPTION '{EVIDENCE_ONLY_REDACTED}';
                   END $$""")
    op.execute("CREATE TRIGGER comments_only_redacted BEFORE UPDATE OR DELETE ON comments "
               "FOR EACH ROW EXECUTE FUNCTION casework_refuse_evidence_change()")
    op.execute("CREATE TRIGGER comments_no_truncate BEFORE TRUNCATE ON comments "
               "FOR EACH STATEMENT EXECUTE FUNCTION casework_refuse_evidence_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER comments_only_redacted")
        op.execute("DROP TRIGGER comments_no_delete")
        return
    op.execute("DROP TRIGGER comments_no_truncate ON comments")
    op.execute("DROP TRIGGER comments_only_redacted ON comments")
    op.execute("DROP FUNCTION casework_refuse_evidence_change()")
