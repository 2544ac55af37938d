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
    """Decode article bytes: UTF-8 (with or without BOM) or UTF-16/32 with a BOM; else refuse.

    A stray NUL in otherwise valid UTF-8 is kept for `clean` to remove; many NULs mean a binary
    file, or UTF-16 saved without its byte order mark.
    """
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
    head = data[:8192]
    nuls = head.count(0)
    if nuls and nuls * 100 > len(head):
        if _looks_like_utf16(head):
            raise DecodeError("looks like UTF-16 without a byte order mark; save the file as UTF-8")
        raise DecodeError("binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        line = data.count(b"\n", 0, error.start) + 1
        raise DecodeError(
            f"not valid UTF-8 (byte 0x{bad} on line {line}, offset {error.start}); "
            "save the file as UTF-8"
        ) from None


def _looks_like_utf16(head: bytes) -> bool:
    """ASCII-heavy UTF-16 has its NULs on every other byte."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) * 2 > len(head) // 2 and min(even, odd) * 10 < max(even, odd)


def drop_controls(text: str) -> str:
    """Text without control and bidi characters (tab and newline stay)."""
    return _CONTROL.sub("", text)


def control_characters(text: str) -> int:
    """How many control or bidi characters `clean` will drop (a stray BOM is not counted)."""
    return sum(1 for c in _CONTROL.findall(text) if c != "\ufeff")


# Letters and symbols that draw nothing or look like a blank though Unicode does not call them
# spaces: the Hangul fillers, the braille blank, the Mongolian vowel separator, Khmer inherent
# vowels. (Zero-width spaces, word joiners, soft hyphens and direction marks are format
# characters, and combining marks mark nothing on their own: neither counts either.)
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")


def has_visible_text(text: str, *, words: bool = False) -> bool:
    """Whether text shows anything: a letter, digit, punctuation mark or symbol that draws.

    With words, only letters and digits count (a body must have words, not only symbols).
    """
    for c in text:
        if c in _BLANK_LOOKALIKES:
            continue
        if c.isalnum() if words else unicodedata.category(c)[0] in "LNPS":
            return True
    return False


def clean(text: str) -> str:
    """Normalise line ends and Unicode, drop control and bidi characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text)


def paragraphs_of(text: str) -> list[str]:
    """Blank-line separated paragraphs, each folded onto one line."""
    blocks = re.split(r"\n[ \t]*\n", text)
    return [" ".join(block.split()) for block in blocks if block.strip()]


# A leading dateline: "SOCHI, Russia — ", "WASHINGTON (AP) — ", "LONDON -- ", and the wire
# prefixes scraped pages keep: "(CNN) — ", "(CNSNews.com) – ", "WASHINGTON/NEW YORK (Reuters) - ".
_DATELINE = re.compile(
    r"^(?P<dateline>(?P<place>[A-Z][A-Z.'’/\- ]{1,40}(?:,\s*[A-Z][\w.'’\- ]{1,40}){0,2})?"
    r"\s*(?P<wire>\([A-Z][\w.&'’/ -]{0,30}\))?)"
    r"\s*(?:—|–|--|-)\s+"
)


# Words that open sentences, never datelines ("The — " in scraped debris).
_NOT_PLACES = frozenset({"The", "But", "And", "He", "She", "It", "They", "This", "That", "We", "I"})
# A place in title case is a dateline only before a dash and a new sentence: "New York – In his".
_TITLE_CASE_DATELINE = re.compile(
    r"^(?P<dateline>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}) (?:—|–|--) (?=[A-Z])"
)


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """Take a leading dateline off the first paragraph: ("SOCHI, Russia", rest)."""
    titled = _TITLE_CASE_DATELINE.match(paragraph)
    if titled and titled.group("dateline").split()[0] not in _NOT_PLACES:
        return titled.group("dateline"), paragraph[titled.end() :]
    match = _DATELINE.match(paragraph)
    if not match or not (match.group("place") or match.group("wire")):
        return None, paragraph
    dateline = match.group("dateline").strip().rstrip("-– ")
    # The place part must be in capitals ("SOCHI"), not an ordinary sentence start; a wire
    # prefix alone ("(CNN)") is a dateline without a place.
    place = (match.group("place") or "").split(",")[0].strip()
    if place and (place.upper() != place or sum(c.isalpha() for c in place) < 2):
        return None, paragraph
    if not paragraph[match.end() :].strip():
        return None, paragraph
    return dateline, paragraph[match.end() :]


# --- Markdown to plain text -------------------------------------------------------------------
# Written as linear passes instead of rendering with Python-Markdown: the point is only the
# words, and untrusted Markdown can make a full renderer (or a careless regex) run for minutes.
# Block structure is handled line by line in Python; the inline patterns never cross a line and
# every repetition in them is bounded, so the cost is linear in the length of the text.

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_HTML_OPEN = re.compile(r"<!--|<(script|style)\b", re.IGNORECASE)
_HTML_CLOSE = {
    name: re.compile(rf"</{name}[^<>]{{0,100}}>", re.IGNORECASE) for name in ("script", "style")
}
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}([*_-])(?:[ \t]*\1){2,}[ \t]*$")
_REF_DEF = re.compile(r" {0,3}\[[^\]\n]{1,200}\]:[ \t]*\S")
_BLOCK_MARK = re.compile(r"(?:>|[*+-](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]*")
# An inline link: its text (kept) and its destination, each bounded; an image is one after "!".
_INLINE_LINK = r"\[([^\[\]\n]{0,500})\]\([^()\n]{0,2000}\)"
_IMAGE = re.compile("!" + _INLINE_LINK)
_LINK = re.compile(_INLINE_LINK)
_REF_LINK = re.compile(r"\[([^\[\]\n]{0,500})\]\[[^\[\]\n]{0,200}\]")
_AUTOLINK = re.compile(r"<(https?://[^<>\s]{1,2000})>")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,500}>")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)([^*_\n]{1,1000}?)(?<=\S)\1")
_CODE_SPAN = re.compile(r"`{1,3}([^`\n]{1,1000})`{1,3}")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")
_TABLE_CHARS = frozenset("|:- \t")
# A line whose first visible character is none of these is plain text.
_BLOCK_STARTS = frozenset("#=-*_[|:>+0123456789`~")


def _drop_html_blocks(text: str) -> str:
    """Remove HTML comments and <script>/<style> elements; an unclosed one runs to the end."""
    pieces: list[str] = []
    cursor = 0
    while True:
        found = _HTML_OPEN.search(text, cursor)
        if found is None:
            break
        pieces.append(text[cursor : found.start()])
        if found.group(1) is None:
            end = text.find("-->", found.end())
            cursor = len(text) if end < 0 else end + 3
        else:
            closed = _HTML_CLOSE[found.group(1).lower()].search(text, found.end())
            cursor = len(text) if closed is None else closed.end()
    pieces.append(text[cursor:])
    return "".join(pieces)


def _is_table_rule(line: str) -> bool:
    return "---" in line and set(line) <= _TABLE_CHARS


def _strip_block_marks(line: str) -> str:
    """Take quote and list markers off the start of a line (`> - 1. text` -> `text`)."""
    line = line.lstrip(" \t")
    at = 0
    while (found := _BLOCK_MARK.match(line, at)) is not None and found.end() > at:
        at = found.end()
    return line[at:]


def _blocks_to_text(markdown: str) -> list[str]:
    lines: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        first = line.lstrip(" \t")[:1]
        if fence is not None:
            stripped = line.strip()
            if first == fence[0] and stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        if not first or first not in _BLOCK_STARTS:
            lines.append(line if first else "")
            continue
        opened = _FENCE_OPEN.match(line)
        if opened is not None and not (opened.group(1)[0] == "`" and "`" in line[opened.end() :]):
            fence = opened.group(1)
            continue
        if (
            _HEADING.match(line)
            or _SETEXT.match(line)
            or _RULE.match(line)
            or _REF_DEF.match(line)
            or _is_table_rule(line)
        ):
            lines.append("")
            continue
        lines.append(_strip_block_marks(line))
    return lines


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown body, keeping blank lines between blocks."""
    text = "\n".join(_blocks_to_text(_drop_html_blocks(markdown)))
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _CODE_SPAN.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***word*** or **_word_**
        text = _EMPHASIS.sub(r"\2", text)
    text = _ESCAPE.sub(r"\1", text)
    text = text.replace("|", " ")
    return html.unescape(text)


# What a case-blind pattern matches that lower() does not give as the same ASCII letter:
# dotted and dotless I, long s (re's case folding pairs them with i and s).
_FOLDS_APART = frozenset("\u0130\u0131\u017f")


class Guarded:
    """A regular expression searched only in texts that hold one of the plain strings every
    match of it holds (lower-cased for a case-blind pattern): the same answers as searching
    always, but one `in` per string is far cheaper than the expression trying each of its
    branches at every position, and most sentences hold none of them."""

    def __init__(self, pattern: re.Pattern[str], needs: tuple[str, ...]) -> None:
        self.pattern = pattern
        self._blind = bool(pattern.flags & re.IGNORECASE)
        self.needs = tuple(n.lower() for n in needs) if self._blind else needs

    def may_match(self, text: str) -> bool:
        """False only when the pattern cannot match text (it holds none of the strings)."""
        if self._blind:
            if not text.isascii() and not _FOLDS_APART.isdisjoint(text):
                return True
            text = text.lower()
        # A loop, not any(): a generator's steps cost more than the tests themselves.
        for need in self.needs:  # noqa: SIM110
            if need in text:
                return True
        return False

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self.may_match(text) else None
