"""Text that wraps like a person would lay it out: a wrapped line keeps its indent, and long ids break after '/'.

Rich wraps at spaces only and starts a wrapped line at column 0, so a step's detail line lost its indent and a
resource id was cut mid-word. `Hanging` renders each line of a `Text` at the width it is given: continuation lines
start at the line's own indent (after a state glyph such as "[x] ", under the text that follows the glyph), and a line
may break after a space or after a '/'. A piece longer than the width (no space, no '/') breaks after its last '.'
or '-' that fits, else it is folded; nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.text import Text

GLYPH = re.compile(r"^\[.\] |^ok |^! |^\d+\. ")  # a state glyph, or a numbered list item


def hang_of(plain: str) -> tuple[int, int]:
    """(indent of the first line, indent of its continuation lines) for one line of text."""
    lead = len(plain) - len(plain.lstrip(" "))
    glyph = GLYPH.match(plain[lead:])
    return lead, lead + (len(glyph.group(0)) if glyph else 0)


def break_points(plain: str) -> list[int]:
    """Offsets where a line may end: after a run of spaces, after each '/' (not inside the "//" of a URL)."""
    points = [i + 1 for i, c in enumerate(plain)
              if (c == "/" and "//" not in plain[max(i - 1, 0):i + 2])
              or (c == " " and (i + 1 == len(plain) or plain[i + 1] != " "))]
    return [p for p in points if p < len(plain)] + [len(plain)]


def wrap_line(line: Text, width: int) -> list[Text]:
    """One line (no newline) as lines of at most `width` cells, continuation lines indented."""
    plain = line.plain
    if len(plain) <= width:
        return [line]
    lead, hang = hang_of(plain)
    if hang >= width // 2:  # too narrow to indent usefully: keep the text readable
        lead = hang = min(lead, 2)
    out: list[Text] = []

    def piece(a: int, b: int, indent: int) -> Text:
        part = line[a:b]
        part.rstrip()
        return Text(" " * indent) + part

    start, prefix, end = lead, lead, lead
    for point in break_points(plain):
        if point <= start:
            continue
        if prefix + len(plain[start:point].rstrip(" ")) <= width:
            end = point
            continue
        if end > start:
            out.append(piece(start, end, prefix))
            start, prefix = end, hang
        while prefix + len(plain[start:point].rstrip(" ")) > width:  # one piece wider than the line: fold it
            cut = start + max(1, width - prefix)
            dot = max(plain.rfind(".", start, cut - 1), plain.rfind("-", start, cut - 1))
            cut = dot + 1 if dot > start else cut  # a host name breaks after a dot, a name after a hyphen
            out.append(piece(start, cut, prefix))
            start, prefix = cut, hang
        end = point
    if end > start or not out:
        out.append(piece(start, end, prefix))
    return out


class Hanging:
    """A Rich renderable: `text` laid out at the available width with hanging indents (see the module)."""

    def __init__(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else Text(text)

    def lines(self, width: int) -> list[Text]:
        width = max(width, 8)
        return [part for line in self.text.split("\n", allow_blank=True) for part in wrap_line(line, width)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        for line in self.lines(options.max_width):
            line.no_wrap, line.overflow, line.end = True, "fold", "\n"
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        longest = max((len(line) for line in self.text.split("\n", allow_blank=True)), default=0)
        return Measurement(min(longest, 8), max(longest, 1))
