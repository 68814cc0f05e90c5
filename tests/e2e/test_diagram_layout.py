"""The workflow diagram as Chromium draws it: every label fits its box, every edge carries its step's label
next to it, and no label sits under an arc or on a box (measured with getBBox and getPointAtLength)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.e2e.demo_world import build_world, serve
from tests.e2e.test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from tests.e2e.test_screens import _signed_in
from workflows import A017

pytestmark = pytest.mark.browser
STEP = 2  # user units between the points sampled along each edge
CLEAR = 2  # the least space between a label and a line or box edge
NEAR = 24  # an edge's label is at most this far from its edge

MEASURE = """(step) => {
  const svg = document.querySelector('svg.diagram');
  const box = (b) => ({x: b.x, y: b.y, w: b.width, h: b.height});
  const text = (t) => ({text: t.textContent, ...box(t.getBBox())});
  return {
    view: box(svg.viewBox.baseVal),
    nodes: [...svg.querySelectorAll('g.node')].map(g => ({
      rect: box(g.querySelector('rect').getBBox()), texts: [...g.querySelectorAll('text')].map(text)})),
    edges: [...svg.querySelectorAll('path.edge')].map(p => {
      const points = [];
      for (let d = 0; d <= p.getTotalLength(); d += step) {
        const q = p.getPointAtLength(d); points.push([q.x, q.y]);
      }
      return {title: p.querySelector('title').textContent, points};
    }),
    labels: [...svg.querySelectorAll('text.edge-label')].map(text),
  };
}"""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def of(cls, b: dict) -> Rect:
        return cls(b["x"], b["y"], b["w"], b["h"])

    def grown(self, by: float) -> Rect:
        return Rect(self.x - by, self.y - by, self.w + 2 * by, self.h + 2 * by)

    def holds(self, x: float, y: float) -> bool:
        return self.x < x < self.x + self.w and self.y < y < self.y + self.h

    def inside(self, other: Rect) -> bool:
        return (
            other.x <= self.x
            and other.y <= self.y
            and self.x + self.w <= other.x + other.w
            and (self.y + self.h <= other.y + other.h)
        )

    def meets(self, other: Rect) -> bool:
        return not (
            self.x + self.w <= other.x
            or other.x + other.w <= self.x
            or self.y + self.h <= other.y
            or other.y + other.h <= self.y
        )

    def distance(self, x: float, y: float) -> float:
        dx = max(self.x - x, 0, x - self.x - self.w)
        dy = max(self.y - y, 0, y - self.y - self.h)
        return (dx * dx + dy * dy) ** 0.5


def overlaps(drawing: dict) -> list[str]:
    """Every way the drawing breaks the rules, in words; empty when it is clean."""
    found = []
    view = Rect.of(drawing["view"])
    nodes = [(Rect.of(n["rect"]), n["texts"]) for n in drawing["nodes"]]
    labels = [(label["text"], Rect.of(label)) for label in drawing["labels"]]
    for rect, texts in nodes:
        for t in texts:
            if not Rect.of(t).inside(rect.grown(-4)):
                found.append(f"{t['text']!r} does not fit its box")
    for edge, (name, label) in zip(drawing["edges"], labels, strict=True):  # both drawn in the steps' order
        if min(label.distance(x, y) for x, y in edge["points"]) > NEAR:
            found.append(f"{name!r} is not beside its edge ({edge['title']})")
    for name, label in labels:
        if not label.inside(view):
            found.append(f"{name!r} is cut off at the drawing's edge")
        for edge in drawing["edges"]:
            if any(label.grown(CLEAR).holds(x, y) for x, y in edge["points"]):
                found.append(f"{name!r} sits under the arc of {edge['title']!r}")
        for rect, texts in nodes:
            if label.grown(CLEAR).meets(rect):
                found.append(f"{name!r} sits on the box of {texts[0]['text']!r}")
        for other, rect in labels:
            if other != name and label.meets(rect):
                found.append(f"{name!r} overlaps {other!r}")
    for edge in drawing["edges"]:
        for rect, texts in nodes:
            if any(rect.grown(-CLEAR).holds(x, y) for x, y in edge["points"]):
                found.append(f"the arc of {edge['title']!r} crosses the box of {texts[0]['text']!r}")
    return found


@pytest.fixture(scope="module")
def drawing(browser, tmp_path_factory):  # noqa: F811 (the imported fixture)
    world = build_world(tmp_path_factory.mktemp("diagram"))
    server = serve(world)
    context, page = _signed_in(browser, world, "wk.comms", 1366, "light")
    try:
        page.goto(f"{world.url}/workflow")
        yield page.evaluate(MEASURE, STEP)
    finally:
        context.close()
        server.shutdown()
        world.cw.engine.dispose()


def test_the_diagram_has_a_box_per_state_and_a_labelled_edge_per_step(drawing):
    assert [n["texts"][0]["text"] for n in drawing["nodes"]] == [s.label for s in A017.states]
    assert [label["text"] for label in drawing["labels"]] == [t.label for t in A017.transitions]
    assert [e["title"].rsplit(" (", 1)[0] for e in drawing["edges"]] == [t.label for t in A017.transitions]


def test_no_label_sits_under_an_arc_or_outside_its_box(drawing):
    assert overlaps(drawing) == []


def test_the_check_finds_a_label_moved_onto_an_arc(drawing):
    """The measurement can fail: the first label moved to its edge's middle point is caught."""
    edge, label = drawing["edges"][0], drawing["labels"][0]
    x, y = edge["points"][len(edge["points"]) // 2]
    moved = {**drawing, "labels": [{**label, "x": x - label["w"] / 2, "y": y - label["h"] / 2}, *drawing["labels"][1:]]}
    assert f"{label['text']!r} sits under the arc of {edge['title']!r}" in overlaps(moved)
