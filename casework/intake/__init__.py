"""Intake: flagged comments from people, the API, platform webhooks and imports, through the detector."""
