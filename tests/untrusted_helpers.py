"""Helpers for the untrusted-text tests (issue 11): hostile values, and checks that what the tool writes is safe.

`assert_terminal_safe` fails on any character a terminal acts on or that reorders what it shows: C0 controls but
the newline (ESC, BEL, CR, ...), DEL, C1 (the one-byte CSI 0x9b, OSC 0x9d, ST 0x9c, ...), the bidi controls,
the line and paragraph separators, and lone surrogates. `export_leaks` scans an export line by line, the way
bash, HCL and Bicep read it, and names every place a marked value is outside a comment or a string literal.
"""

from __future__ import annotations

import re

# What must never reach a terminal, a log, a report or an export (the newline aside).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                    "\ud800-\udfff]")
# What Textual itself writes to draw a screen: SGR colours and cursor positioning. Anything else is not its own.
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H")

OSC52_BEL = "\x1b]52;c;ZWNobyBwd25lZA==\x07"        # writes "echo pwned" to the clipboard
OSC52_ST = "\x1b]52;c;ZWNobyBwd25lZA==\x1b\\"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\"
CLEAR = "\x1b[2J\x1b[H"
MARKUP = "[bold red]owner[/] [link=https://evil.example]link[/link]"
BIDI = "\u202egnp.exe\u202c \u2066isolated\u2069"
# One value with every kind at once: what a hostile Private Link Service owner writes in a description.
HOSTILE = (f"Checked by {MARKUP} {OSC52_BEL}{OSC52_ST}{CLEAR}{OSC8} {BIDI} \x9b2J\x07"
           "\nforged: [x] 6. Approval: done\r[x] overwritten")
# What must be left of HOSTILE, in order, on one line: the words, never the controls.
HOSTILE_VISIBLE = ("Checked by [bold red]owner[/] [link=https://evil.example]link[/link]", "click here",
                   "gnp.exe", "isolated", "forged: [x] 6. Approval: done", "[x] overwritten")


def assert_terminal_safe(text: str, where: str) -> None:
    """No ESC, BEL, C1 (0x9b CSI, 0x9d OSC, ...), other control, bidi control or lone surrogate in `text`."""
    m = UNSAFE.search(text)
    assert m is None, (f"{where}: {m.group()!r} at {m.start()} in "
                       f"...{text[max(0, m.start() - 80):m.start() + 80]!r}...")


def assert_screen_safe(sequence: str, where: str) -> None:
    """What Textual would write to the terminal for a screen: its own SGR and cursor moves, nothing else."""
    assert_terminal_safe(TEXTUAL_OWN.sub("", sequence), where)


def one_line_with(text: str, parts: tuple[str, ...], where: str) -> str:
    """The one line of `text` that holds every one of `parts` in order (a value never splits into lines)."""
    for line in text.splitlines():
        at = 0
        for part in parts:
            at = line.find(part, at)
            if at < 0:
                break
            at += len(part)
        else:
            return line
    raise AssertionError(f"{where}: no single line holds {parts!r}:\n{text}")


# -- exports: where a marked value sits, as each language reads the line --------------------------------------
def _regions(line: str, fmt: str) -> tuple[list[tuple[int, int, str]], int | None]:
    """The string literals of one line ((start, end, kind)) and where a comment starts (None: no comment), for
    bash (`'...'`, `$'...'` with escapes, `"..."` with escapes; `#` after a blank), HCL (`"..."` with escapes;
    `#` or `//`) or Bicep (`'...'` with escapes; `//`)."""
    literals: list[tuple[int, int, str]] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if fmt == "az":
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                return _words(line, literals), i
            if c == "'" or (c == "$" and line[i + 1:i + 2] == "'"):
                ansi = c == "$"
                j = i + (2 if ansi else 1)
                while j < n and line[j] != "'":
                    j += 2 if ansi and line[j] == "\\" else 1
                literals.append((i, j + 1, "ansi" if ansi else "single"))
                i = j + 1
                continue
            if c == '"':
                j = i + 1
                while j < n and line[j] != '"':
                    j += 2 if line[j] == "\\" else 1
                literals.append((i, j + 1, "double"))
                i = j + 1
                continue
        else:
            quote = '"' if fmt == "terraform" else "'"
            if line.startswith("//", i) or (fmt == "terraform" and c == "#"):
                return literals, i
            if c == quote:
                j = i + 1
                while j < n and line[j] != quote:
                    j += 2 if line[j] == "\\" else 1
                literals.append((i, j + 1, "string"))
                i = j + 1
                continue
        i += 1
    return _words(line, literals) if fmt == "az" else literals, None


def _words(line: str, literals: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """bash joins quoted parts that touch into one word (`'it'"'"'s'`): one region, double-quoted only when a
    double-quoted part holds more than the lone `'` of that idiom."""
    words: list[tuple[int, int, str]] = []
    for start, end, kind in literals:
        risky = kind == "double" and line[start:end] != '"\'"'
        kind = "double" if risky else ("single" if kind == "double" else kind)
        if words and words[-1][1] == start:
            previous = words[-1]
            words[-1] = (previous[0], end, "double" if "double" in (previous[2], kind) else previous[2])
        else:
            words.append((start, end, kind))
    return words


def _interpolates(body: str, fmt: str) -> bool:
    """Whether a string literal's body starts an interpolation: HCL `${` or `%{` (escaped as `$${`, `%%{`; a
    backslash escapes one character), Bicep `${` (escaped as `\\${`)."""
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if fmt == "terraform" and body.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if body.startswith("${", i) or (fmt == "terraform" and body.startswith("%{", i)):
            return True
        i += 1
    return False


def export_leaks(text: str, fmt: str, markers: list[tuple[str, str]]) -> list[str]:
    """Every place a marked value (opened by its first marker, closed by its second) is not inside a comment or
    wholly inside one string literal that cannot run code: in bash a single-quoted or `$'...'` string (never a
    double-quoted one: `$(...)` runs there), in HCL a string without an unescaped `${` or `%{`, in Bicep a
    string without an unescaped `${`. Also any raw control or bidi character anywhere in the file."""
    problems = []
    m = UNSAFE.search(text.replace("\n", ""))
    if m:
        problems.append(f"raw {m.group()!r} in the file")
    for number, line in enumerate(text.splitlines(), start=1):
        literals, comment = _regions(line, fmt)
        for opening, closing in markers:
            for found in re.finditer(re.escape(opening) + "|" + re.escape(closing), line):
                at = found.start()
                if comment is not None and at >= comment:
                    continue
                inside = [lit for lit in literals if lit[0] < at < lit[1]]
                if not inside:
                    problems.append(f"line {number}: {found.group()} outside any comment or string: {line!r}")
                    continue
                start, end, kind = inside[0]
                body = line[start:end]
                if opening not in body or closing not in body:
                    problems.append(f"line {number}: the value leaves its string literal: {line!r}")
                elif kind == "double":
                    problems.append(f"line {number}: the value is in a double-quoted bash string: {line!r}")
                elif fmt in ("terraform", "bicep") and _interpolates(body[1:-1], fmt):
                    problems.append(f"line {number}: an interpolation in the string: {line!r}")
    return problems
