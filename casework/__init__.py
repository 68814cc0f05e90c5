"""casework: every flagged comment on a force's channels becomes a case (policy A017)."""
