"""What an attacker with database access does first: switch off the append-only guards on events."""


def bypass_append_only(connection) -> None:
    """Within `connection`'s transaction, let UPDATE and DELETE reach case_events."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS case_events_no_update")
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS case_events_no_delete")
    else:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
