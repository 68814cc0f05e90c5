"""SLA clocks (SPEC §4): deadlines stored per case, started and stopped with the workflow, swept on time."""
