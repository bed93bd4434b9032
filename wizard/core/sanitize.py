"""Text from outside the tool, made safe to show: no terminal control, no forged lines, no reordering.

Anything Azure, Astro, DNS or a file says can reach a terminal: the private endpoint connection's description
is written by the Private Link Service's owner (a third party), error messages echo policy display names an
admin chose, a config or record file can hold anything. Written to a terminal as they are, ESC sequences clear
the screen (CSI `ESC[2J`), write the clipboard (OSC 52), plant links (OSC 8) or retitle the window; a carriage
return or a newline inside a value forges a line the tool never printed.

One sanitizer, called where text leaves the tool (the CLI's lines, plain mode, the report, the TUI's widgets
and clipboard, the request log, the exports):

- Whole escape sequences are removed (ECMA-48 5.4 and 8.3.89/8.3.143, xterm's ctlseqs): CSI
  `ESC [ params intermediates final` and its C1 form 0x9b; OSC, DCS, SOS, PM and APC strings (`ESC ]`, `ESC P`,
  `ESC X`, `ESC ^`, `ESC _` and their C1 forms) up to BEL, `ESC \\` or 0x9c; other two- and three-byte `ESC`
  sequences (`ESC c`, `ESC ( B`). What is left of a broken sequence is shown as text, never hidden.
- Every other control character goes: C0 (0x00-0x1f), DEL (0x7f) and C1 (0x80-0x9f). A tab becomes one space
  (its width depends on the terminal and breaks the columns). Line breaks are the exception, below.
- The Unicode bidirectional controls go too (LRE, RLE, PDF, LRO, RLO U+202A-202E; LRI, RLI, FSI, PDI
  U+2066-2069; the marks LRM, RLM, ALM U+200E, U+200F, U+061C): the "Trojan Source" reordering (CVE-2021-42574,
  https://trojansource.codes) makes a value or a line read differently from what it is. No identifier or
  message this tool shows needs them. Zero-width and other invisible characters stay: they move nothing.
- A lone surrogate (JSON may carry "\\ud800") becomes U+FFFD: it cannot be written as UTF-8.
- Line breaks: `clean_line` turns every one (the `str.splitlines` set: CR, LF, CRLF, VT, FF, 0x1c-0x1e, NEL,
  U+2028, U+2029) into a space, for text shown as one line, so a value cannot forge a line of its own;
  `clean_text` keeps them as "\\n", for text that is several lines by design (the text for Astronomer support).

Rich / Textual markup is not this module's business: the screens show text with `markup=False` or as
`rich.text.Text`, which never parses it. JSON output needs nothing: `json.dumps` escapes every control
character (and, with its default `ensure_ascii`, everything beyond ASCII).
"""

from __future__ import annotations

import re

# ECMA-48 CSI: ESC [ (or 0x9b), parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, a final byte 0x40-0x7e.
# Control strings (OSC, DCS, SOS, PM, APC): the introducer, anything but a terminator, then BEL (xterm accepts it
# for OSC), ST (ESC \) or C1 ST (0x9c). Other escape sequences: ESC, intermediates, one final byte 0x30-0x7e.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROP: dict[int, str | None] = {c: None for c in [*range(0x00, 0x20), *range(0x7f, 0xa0), *map(ord, BIDI_CONTROLS)]}
_DROP[ord("\t")] = " "
_SURROGATE = re.compile("[\ud800-\udfff]")


def _strip(text: str) -> str:
    """`text` without escape sequences, control characters, bidi controls or lone surrogates (one line)."""
    return _SURROGATE.sub("\ufffd", _SEQUENCE.sub("", text)).translate(_DROP)


def clean_line(text: object) -> str:
    """`text` as one safe line: every line break becomes a space, every control or bidi character goes."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():  # the common case: nothing to do
        return value
    return " ".join(_strip(part) for part in _SEQUENCE.sub("", value).splitlines())


def clean_text(text: object) -> str:
    """`text` made safe, keeping its lines (joined with "\\n"; CR, CRLF, U+2028 and the rest become "\\n")."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():
        return value
    return "\n".join(_strip(part) for part in _SEQUENCE.sub("", value).splitlines())


def clean_lines(text: object) -> list[str]:
    """`text` as safe lines (an empty text is one empty line): what a comment block or an indented block needs."""
    return clean_text(text).split("\n")


def needs_escape(char: str) -> bool:
    """Whether a character of a value must be escaped in a string literal of an export (a control, DEL, C1, a
    line or paragraph separator, a bidi control, a surrogate): what would break the line or the terminal."""
    code = ord(char)
    return (code < 0x20 or 0x7f <= code < 0xa0 or char in BIDI_CONTROLS or char in "\u2028\u2029"
            or 0xd800 <= code <= 0xdfff)
