"""What an attacker with database access does: switch off the append-only guards (events, evidence), then edit rows."""

from sqlalchemy import text

from casework.audit import verify as audit


def bypass_append_only(connection) -> None:
    """Within `connection`'s transaction, let UPDATE and DELETE reach case_events and comments."""
    if connection.dialect.name == "sqlite":
        for trigger in (
            "case_events_no_update",
            "case_events_no_delete",
            "comments_only_redacted",
            "comments_no_delete",
        ):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    else:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")


def verify(cw):
    with cw.reader() as uow:
        return audit.verify(uow.session)


def raw(cw, *statements):
    """Run SQL as an attacker with database access, with the append-only triggers dropped."""
    with cw.engine.begin() as connection:
        bypass_append_only(connection)
        for statement in statements:
            connection.execute(text(statement))
