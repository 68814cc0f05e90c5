"""Delivering the outbox: e-mail, webhooks and the in-app inbox, rendered from templates at send time."""
