"""Where a character is on a page: its box in the media box's top-left frame, and the frames a turned
page is read in. The base of the PDF reader's layers: no PDF engine, no text."""

from __future__ import annotations

import math
from typing import NamedTuple

# Text turned less than this many degrees off a right angle is read as if it were not turned.
_SKEW = 10.0
# A glyph's box runs from this far below its baseline to this far above it, in font sizes (the
# ideographic em box of Japanese fonts). Taken from the baseline and the size the PDF states, never
# from a font's own metrics: PDFium measures a font that is not embedded with whatever font the
# machine substitutes for it, and a line must have the same box on every machine.
DESCENT, ASCENT = 0.12, 0.88


class Char(NamedTuple):
    """A character: its box with x to the right and top / bottom down the page, from the top left
    corner of the media box as it lies; `angle`, the direction of its baseline on the page, in degrees
    counter-clockwise (see baseline_angle). `place` turns the characters of a turned page into its reading
    frame, where the angle has no more use."""

    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    angle: int = 0


class Frame:
    """The page turned so that text at `angle` runs left to right and its lines go down: a landscape
    list on a portrait page with /Rotate 90 (or drawn turned without one) reads like any other page.
    Coordinates start at the turned media box's top left corner."""

    def __init__(self, angle: int, box: tuple[float, float, float, float]) -> None:
        self.angle = angle
        self.box = box
        rad = math.radians(angle)
        self.cos, self.sin = round(math.cos(rad), 9), round(math.sin(rad), 9)
        left, bottom, right, top = box
        corners = [self._turn(x, y) for x in (left, right) for y in (bottom, top)]
        self.u0, self.v0 = min(u for u, _ in corners), min(v for _, v in corners)
        self.width = max(u for u, _ in corners) - self.u0
        self.height = max(v for _, v in corners) - self.v0

    def _turn(self, x: float, y: float) -> tuple[float, float]:
        return x * self.cos + y * self.sin, x * self.sin - y * self.cos

    def point(self, x: float, y: float) -> tuple[float, float]:
        u, v = self._turn(x, y)
        return u - self.u0, v - self.v0

    def char(self, ch: Char) -> Char:
        """A character as the page lies (`Char`) in this frame."""
        if self.angle == 0:
            return ch
        left, _, _, top = self.box
        pts = [self.point(left + x, top - y) for x in (ch.x0, ch.x1) for y in (ch.top, ch.bottom)]
        us, vs = [u for u, _ in pts], [v for _, v in pts]
        return Char(min(us), max(us), min(vs), max(vs), ch.text, ch.angle)


def flat_box(
    box: tuple[float, float, float, float], x0: float, y0: float, x1: float, y1: float
) -> tuple[float, float, float, float]:
    """A box in page space (y up) → x0, x1, top, bottom from the media box's top left corner."""
    left, _, _, top = box
    return min(x0, x1) - left, max(x0, x1) - left, top - max(y0, y1), top - min(y0, y1)


def glyph_box(
    box: tuple[float, float, float, float],
    origin: tuple[float, float],
    angle: int,
    advance: float,
    size: float,
) -> tuple[float, float, float, float]:
    """The box of a glyph drawn at `origin` (page space, y up) along a baseline at `angle`: `advance`
    along it, DESCENT and ASCENT of `size` across it → x0, x1, top, bottom as `flat_box` gives."""
    rad = math.radians(angle)
    ux, uy = round(math.cos(rad), 9), round(math.sin(rad), 9)
    ox, oy = origin
    pts = [
        (ox + a * ux - b * uy, oy + a * uy + b * ux)
        for a in (0.0, advance)
        for b in (-DESCENT * size, ASCENT * size)
    ]
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    return flat_box(box, min(xs), min(ys), max(xs), max(ys))


def baseline_angle(a: float, b: float) -> int:
    """The direction of a text matrix's baseline, in degrees counter-clockwise: near a right angle
    (a scanner's text layer is skewed by a degree or two) it is that right angle."""
    deg = math.degrees(math.atan2(b, a))
    right = round(deg / 90) * 90
    return int(right if abs(deg - right) <= _SKEW else round(deg / 15) * 15) % 360
