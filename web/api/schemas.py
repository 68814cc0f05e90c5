"""JSON Schemas of trigger inputs, derived from the workflow declaration (never restated by hand)."""

from __future__ import annotations

from workflows.spec import GuardContext, Input, TransitionSpec

REFERENCE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9/_.-]{1,39}$"
# Python's idea of white space (str.isspace), spelled out: ECMA regexes, which schema tools use,
# differ on \x1c-\x1f and \x85.
SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"[^{SPACE}]"


def input_schema(spec: TransitionSpec, ctx: GuardContext | None = None) -> dict:
    """The `inputs` object a trigger takes; choices (and asked-for inputs) narrowed to this case given `ctx`."""
    inputs = [i for i in spec.inputs if ctx is None or i.offered(ctx)]
    schema: dict = {
        "type": "object",
        "additionalProperties": False,
        "properties": {i.name: _property(i, ctx) for i in inputs},
    }
    required = [
        i.name for i in inputs if i.required and i.required_when is None and (i.asked_when is None or ctx is not None)
    ]
    if required:
        schema["required"] = required
    conditions = [_condition(spec, i) for i in inputs if i.required_when is not None]
    if conditions:
        schema["allOf"] = conditions
    return schema


def _property(item: Input, ctx: GuardContext | None) -> dict:
    described = {"title": item.label, **({"description": item.help} if item.help else {})}
    if item.kind == "text":
        return {**described, "type": "string", "minLength": 1, "maxLength": item.max_length, "pattern": NOT_BLANK}
    if item.kind == "reference":
        return {**described, "type": "string", "pattern": REFERENCE_PATTERN}
    if item.kind == "bool":
        return {**described, "type": "boolean"}
    choices = list(item.allowed_choices(ctx))
    if item.kind == "choice":
        return {**described, "type": "string", "enum": choices}
    return {
        **described,
        "type": "array",
        "items": {"type": "string", "enum": choices},
        "uniqueItems": True,
        "minItems": 1,
    }


def _condition(spec: TransitionSpec, item: Input) -> dict:
    """`required_when` as JSON Schema if/then: a choice equal to, or a multichoice containing, a value."""
    when = item.required_when
    values = sorted(when.values)
    multi = spec.input(when.field).kind == "multichoice"
    match = {"contains": {"enum": values}} if multi else {"enum": values}
    return {"if": {"properties": {when.field: match}, "required": [when.field]}, "then": {"required": [item.name]}}


def trigger_description(spec: TransitionSpec, ctx: GuardContext | None = None) -> dict:
    return {
        "trigger": spec.trigger,
        "label": spec.label,
        "description": spec.description,
        "from": spec.source,
        "to": spec.dest,
        "roles": sorted(spec.roles),
        "inputs": input_schema(spec, ctx),
    }
