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


def previous_inputs(spec: TransitionSpec, stage_inputs: dict | None) -> MultiDict:
    """What a prefilled step's form starts from: its inputs of last time, as the form would post them."""
    last = (stage_inputs or {}).get(spec.trigger) if spec.prefilled else None
    values: MultiDict = MultiDict()
    for item in spec.inputs:
        value = (last or {}).get(item.name)
        if value is None or item.asked_when is not None:  # an answer is never carried over
            continue
        if isinstance(value, bool):
            values.add(item.name, "yes" if value else "no")
        elif isinstance(value, list):
            for v in value:
                values.add(item.name, v)
        else:
            values.add(item.name, str(value))
    return values


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
