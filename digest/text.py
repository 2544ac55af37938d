"""Text clean-up: decoding untrusted bytes, stripping Markdown to plain text, datelines."""

from __future__ import annotations

import codecs
import html
import re
import unicodedata

# C0/C1 control characters other than tab and newline, lone surrogates, and the Unicode
# bidi controls that can make a headline read differently from what it says.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
)


class DecodeError(ValueError):
    """The bytes are not text we can read; the message says why."""


def decode(data: bytes) -> str:
    """Decode article bytes: UTF-8 (with or without BOM) or UTF-16/32 with a BOM; else refuse."""
    if b"\x00" in data[:4096] and not data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    ):
        raise DecodeError("binary file (NUL bytes), not text")
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise DecodeError(f"invalid {encoding.upper()} at byte {error.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise DecodeError(
            f"not valid UTF-8 (byte 0x{bad} at offset {error.start}); save the file as UTF-8"
        ) from None


def clean(text: str) -> str:
    """Normalise line ends and Unicode, drop control and bidi characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text)


def paragraphs_of(text: str) -> list[str]:
    """Blank-line separated paragraphs, each folded onto one line."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return [" ".join(block.split()) for block in blocks if block.strip()]


# A leading dateline: "SOCHI, Russia — ", "WASHINGTON (AP) — ", "LONDON -- ".
_DATELINE = re.compile(
    r"^(?P<dateline>[A-Z][A-Z.'’\- ]{1,40}(?:,\s*[A-Z][\w.'’\- ]{1,40}){0,2}(?:\s*\([^)]{1,30}\))?)"
    r"\s*(?:—|–|--|-)\s+"
)


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """Take a leading dateline off the first paragraph: ("SOCHI, Russia", rest)."""
    match = _DATELINE.match(paragraph)
    if not match:
        return None, paragraph
    dateline = match.group("dateline").strip()
    # The place part must be in capitals ("SOCHI"), not an ordinary sentence start.
    place = dateline.split(",")[0].split("(")[0].strip()
    if not place or place.upper() != place or not any(c.isalpha() for c in place):
        return None, paragraph
    return dateline, paragraph[match.end() :]


# --- Markdown to plain text -------------------------------------------------------------------
# Written as a few linear passes instead of rendering with Python-Markdown: the point is only
# the words, and untrusted Markdown can make a full renderer run for minutes.

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_IMAGE = re.compile(r"!\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)")
_REF_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]\[[^\[\]\n]{0,200}\]")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]{1,200}\]:\s*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(https?://[^<>\s]{1,2000})>")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+.*$", re.MULTILINE)
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^ {0,3}([*_-])([ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_LIST_MARK = re.compile(r"^[ \t]{0,12}(?:[*+-]|\d{1,9}[.)])[ \t]+", re.MULTILINE)
_QUOTE_MARK = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)([^*_\n]{1,1000}?)(?<=\S)\1")
_CODE_SPAN = re.compile(r"`{1,3}([^`\n]{1,1000})`{1,3}")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown body, keeping blank lines between blocks."""
    text = _FENCE.sub("", markdown)
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_BLOCK.sub("", text)
    text = _REF_DEF.sub("", text)
    text = _HEADING.sub("", text)
    text = _SETEXT.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _QUOTE_MARK.sub("", text)
    text = _LIST_MARK.sub("", text)
    text = _CODE_SPAN.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***word*** or **_word_**
        text = _EMPHASIS.sub(r"\2", text)
    text = _ESCAPE.sub(r"\1", text)
    text = text.replace("|", " ")
    return html.unescape(text)
