"""Workflow declarations that the `transitions` library runs; the A017 workflow is the default."""

from workflows.a017 import A017

__all__ = ["A017"]
