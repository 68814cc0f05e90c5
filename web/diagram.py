"""The workflow's state diagram as SVG geometry, laid out from the declaration: states in a row,
forward steps above the boxes, steps back below.

Each step runs up (or down) from its own port on a box to a lane, along the lane and into the
other box. Steps whose lines or labels would share room go on different lanes, the shorter ones
nearer the boxes; each label sits in the gap above (below) its own lane. Ports on a box are ordered
so that lines leave it without crossing: first those to the left (inner lanes first), then those to
the right (outer lanes first). `tests/e2e/test_diagram_layout.py` measures the result in Chromium.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.spec import TransitionSpec, Workflow

BOX_W, BOX_H, GAP, MARGIN = 196, 54, 72, 20
LANE = 28  # from one lane to the next: room for a 12 px label between two lines
PORT = 16  # between two lines leaving the same side of a box
BEND = 8  # the radius of a line's corners
CHAR_W = 7.5  # a generous width of one character of a 12 px label, to keep labels of one lane apart


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


@dataclass(frozen=True)
class _Step:
    spec: TransitionSpec
    source: int  # the states' places in the row
    dest: int

    @property
    def backward(self) -> bool:
        return self.dest < self.source

    @property
    def room(self) -> tuple[float, float]:
        """The stretch of a lane the step's line and label take (in box centres' coordinates)."""
        low, high = sorted((_centre(self.source), _centre(self.dest)))
        half = len(self.spec.label) * CHAR_W / 2
        mid = (low + high) / 2
        return min(low, mid - half), max(high, mid + half)


def layout(workflow: Workflow) -> Diagram:
    """Place each state in a row, give each step a lane and a port at each end, and draw it."""
    order = {s.name: i for i, s in enumerate(workflow.states)}
    steps = [_Step(t, order[t.source], order[t.dest]) for t in workflow.transitions]
    lanes = _lanes(steps)
    up = max((lanes[i] for i, s in enumerate(steps) if not s.backward), default=0)
    down = max((lanes[i] for i, s in enumerate(steps) if s.backward), default=0)
    top = MARGIN + LANE * up
    boxes = [
        Box(s.name, s.label, s.owner_role or "—", MARGIN + i * (BOX_W + GAP), top, s.final)
        for i, s in enumerate(workflow.states)
    ]
    ports = _ports(steps, lanes)
    arcs = [_arc(step, lanes[i], ports[i, step.source], ports[i, step.dest], top) for i, step in enumerate(steps)]
    height = top + BOX_H + LANE * down + 24
    width = 2 * MARGIN + len(boxes) * BOX_W + (len(boxes) - 1) * GAP
    return Diagram(boxes, arcs, width, height)


def _centre(place: int) -> int:
    return MARGIN + place * (BOX_W + GAP) + BOX_W // 2


def _lanes(steps: list[_Step]) -> dict[int, int]:
    """Lane 1 is nearest the boxes; a step takes the lowest lane where its room is free."""
    lanes: dict[int, int] = {}
    taken: dict[tuple[bool, int], list[tuple[float, float]]] = {}
    for i in sorted(range(len(steps)), key=lambda i: (abs(steps[i].dest - steps[i].source), i)):
        low, high = steps[i].room
        lane = 1
        while any(low < b and a < high for a, b in taken.get((steps[i].backward, lane), [])):
            lane += 1
        lanes[i] = lane
        taken.setdefault((steps[i].backward, lane), []).append((low, high))
    return lanes


def _ports(steps: list[_Step], lanes: dict[int, int]) -> dict[tuple[int, int], int]:
    """The x of each step's line at each of its two boxes."""
    sides: dict[tuple[int, bool], list[tuple[bool, int, int]]] = {}
    for i, step in enumerate(steps):
        for here, there in ((step.source, step.dest), (step.dest, step.source)):
            rightward = there > here
            sides.setdefault((here, step.backward), []).append((rightward, -lanes[i] if rightward else lanes[i], i))
    ports = {}
    for (place, _), lines in sides.items():
        for k, (_, _, i) in enumerate(sorted(lines)):
            ports[i, place] = _centre(place) + round((k - (len(lines) - 1) / 2) * PORT)
    return ports


def _arc(step: _Step, lane: int, sx: int, ex: int, top: int) -> Arc:
    if step.backward:
        edge, turn, label_dy = top + BOX_H, 1, 16  # below the boxes, the label under its lane
    else:
        edge, turn, label_dy = top, -1, -7
    y = edge + turn * LANE * lane
    h = 1 if ex > sx else -1
    path = (
        f"M {sx} {edge} V {y - turn * BEND} Q {sx} {y} {sx + h * BEND} {y} "
        f"H {ex - h * BEND} Q {ex} {y} {ex} {y - turn * BEND} V {edge}"
    )
    return Arc(step.spec.trigger, ", ".join(sorted(step.spec.roles)), path, (sx + ex) // 2, y + label_dy, step.backward)
