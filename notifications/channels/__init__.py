"""Channels: each turns a rendered notification into a delivery, or raises why it could not."""


class DeliveryFailed(Exception):
    """A delivery did not happen this time; it is tried again later."""


class PermanentFailure(DeliveryFailed):
    """A delivery can never succeed as addressed (no address, refused recipient): a dead letter at once."""
