"""The workflow's state diagram as SVG geometry, laid out from the declaration: states in a row,
forward transitions arc above, backward ones below."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.spec import Workflow

BOX_W, BOX_H, GAP, MARGIN = 196, 54, 72, 20
RISE = 44  # how much higher an arc climbs for each state it passes over


@dataclass(frozen=True)
class Box:
    name: str
    label: str
    owner: str
    x: int
    y: int
    final: bool

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2


@dataclass(frozen=True)
class Arc:
    trigger: str
    roles: str
    path: str
    label_x: int
    label_y: int
    backward: bool


@dataclass(frozen=True)
class Diagram:
    boxes: list[Box]
    arcs: list[Arc]
    width: int
    height: int
    box_w: int = BOX_W
    box_h: int = BOX_H


def layout(workflow: Workflow) -> Diagram:
    """Place each state and route each transition; spans decide arc heights so labels do not collide."""
    order = [s.name for s in workflow.states]
    spans = [abs(order.index(t.dest) - order.index(t.source)) for t in workflow.transitions]
    up = max(
        (s for s, t in zip(spans, workflow.transitions, strict=False) if order.index(t.dest) > order.index(t.source)),
        default=1,
    )
    down = max(
        (s for s, t in zip(spans, workflow.transitions, strict=False) if order.index(t.dest) < order.index(t.source)),
        default=0,
    )
    top = MARGIN + 30 + RISE * up
    boxes = [
        Box(s.name, s.label, s.owner_role or "—", MARGIN + i * (BOX_W + GAP), top, s.final)
        for i, s in enumerate(workflow.states)
    ]
    arcs = []
    for t, span in zip(workflow.transitions, spans, strict=False):
        a, b = boxes[order.index(t.source)], boxes[order.index(t.dest)]
        backward = b.x < a.x
        shift = 26 * (span - 1)  # arcs leaving one box start apart
        sx = a.cx + (-shift if backward else shift) + (-20 if backward else 20)
        ex = b.cx + (20 + shift if backward else -20 - shift)
        edge = a.y + BOX_H if backward else a.y
        apex = edge + RISE * span if backward else edge - RISE * span
        control = 2 * apex - edge  # a quadratic curve peaks halfway to its control point
        mid = (sx + ex) // 2
        arcs.append(
            Arc(
                t.trigger,
                ", ".join(sorted(t.roles)),
                f"M {sx} {edge} Q {mid} {control} {ex} {edge}",
                mid,
                apex + (16 if backward else -6),
                backward,
            )
        )
    height = top + BOX_H + RISE * down + 40
    width = 2 * MARGIN + len(boxes) * BOX_W + (len(boxes) - 1) * GAP
    return Diagram(boxes, arcs, width, height)
