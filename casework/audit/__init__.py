"""Audit: verifying the chain, the event log, checkpoints, disclosure, exports, time travel, retention."""
