"""Forms for workflow transitions: how each declared input is drawn, and reading it back from a post."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from workflows.spec import Input, TransitionSpec

RADIO_LIMIT = 5  # more choices than this are drawn as a drop-down list


def widget(item: Input, choices: tuple[str, ...]) -> str:
    """Which control draws this input: textarea, line, radios, select, checkboxes or yesno."""
    if item.kind == "text":
        return "textarea" if item.max_length > 200 else "line"
    if item.kind == "reference":
        return "line"
    if item.kind == "bool":
        return "yesno"
    if item.kind == "multichoice":
        return "checkboxes"
    return "radios" if len(choices) <= RADIO_LIMIT else "select"


def condition_text(spec: TransitionSpec, item: Input, label) -> str | None:
    """'Required when Outcome is Crime recorded' for an input that applies only sometimes."""
    cond = item.required_when
    if cond is None:
        return None
    values = " or ".join(label(v) for v in sorted(cond.values))
    return f"Required when {spec.input(cond.field).label} is {values}"


def read_inputs(spec: TransitionSpec, form: MultiDict) -> dict:
    """The declared inputs as posted: lists for multichoice, text otherwise; absent ones left out."""
    inputs = {}
    for item in spec.inputs:
        if item.kind == "multichoice":
            values = form.getlist(item.name)
            if values:
                inputs[item.name] = values
        elif form.get(item.name, "") != "":
            inputs[item.name] = form.get(item.name)
    return inputs
