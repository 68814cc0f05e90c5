"""The label registry (`casework.labels`) in templates: one instance per app, from its workflow and forces."""

from __future__ import annotations

from flask import Flask, current_app

from casework.labels import Labels


def install(app: Flask) -> Labels:
    """Give templates `|label`, `is matching_code`, `labels` and `label_of`, all from one registry."""
    cw = app.extensions["casework"]
    labels = Labels(cw.workflow, cw.settings.forces)
    app.extensions["casework_labels"] = labels
    app.jinja_env.filters["label"] = labels
    app.jinja_env.filters["labels"] = labels.join
    app.jinja_env.tests["matching_code"] = labels.knows
    app.jinja_env.globals.update(labels=labels, label_of=labels)
    return labels


def label(code: object) -> str:
    """The current app's label for a code, for views that build text outside templates."""
    labels: Labels = current_app.extensions["casework_labels"]
    return labels(code)
