"""Evidence beyond the comment's text (SPEC §11): attachments, page captures and signed evidence packages."""
