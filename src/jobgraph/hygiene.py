"""Text that cannot break a page, a feed or a query, in one place: what text input may
hold (no C0 control characters but tab and line breaks, no noncharacters, no lone
surrogates: XML forbids them and they serve no writer), which web addresses are accepted
(http and https only), and how text leaves in each format (JSON inside an HTML page, XML)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from jobgraph.errors import BadUserInput

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef" + re.escape(_NONCHARACTERS) + "]"
)


# What ASCII text (a document, most input) may not hold: its control characters. Searched
# about six times faster than the whole class, which its other characters cannot be in.
_FORBIDDEN_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def forbidden_character(text: str) -> str | None:
    """The first character text input may not hold, as U+XXXX, or None."""
    found = (_FORBIDDEN_ASCII if text.isascii() else FORBIDDEN).search(text)
    return f"U+{ord(found[0]):04X}" if found else None


def refusal(where: str, character: str) -> BadUserInput:
    return BadUserInput(
        f"{where} holds the character {character}, which text here may not contain "
        "(control characters other than tab and line breaks, and noncharacters): "
        "remove it and send again."
    )


def web_address(value: str | None, field: str, limit: int = 500) -> str | None:
    """A web address as stored: http or https with a host, or None when empty."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(value) > limit
        or any(c.isspace() for c in value)
    ):
        raise BadUserInput(
            f"{field} must be a web address starting with https:// or http:// (at most "
            f"{limit} characters), such as https://www.example.jp.",
            field=field,
        )
    return value


def json_for_html(document: Any) -> str:
    """JSON that may stand inside an HTML <script> element as it is: <, > and & escaped
    (inside JSON strings, the only place they can appear), so that no value ends the
    script; U+2028 and U+2029 too, for older JavaScript parsers."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    for character, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(character, escaped)
    return text


def xml_characters(text: str) -> str:
    """Text without what XML may not carry at all (stored before the input rules were
    strict, it is dropped rather than break a feed)."""
    return FORBIDDEN.sub("", text)


def xml_text(text: str) -> str:
    """Text as XML character data: escaped, and only characters XML may carry."""
    return escape(xml_characters(text))
