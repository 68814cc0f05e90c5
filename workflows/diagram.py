"""The state diagram, drawn from the declaration (Mermaid stateDiagram-v2)."""

from __future__ import annotations

from workflows.spec import Workflow


def mermaid(workflow: Workflow) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for state in workflow.states:
        lines.append(f"    {state.name} : {state.label}")
    for t in workflow.transitions:
        roles = ", ".join(sorted(t.roles))
        lines.append(f"    {t.source} --> {t.dest} : {t.trigger} ({roles})")
    for state in workflow.states:
        if state.final:
            lines.append(f"    {state.name} --> [*]")
    return "\n".join(lines) + "\n"
