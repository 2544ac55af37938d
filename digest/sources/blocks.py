"""The blocks of trafilatura's main-text tree as paragraphs, and the judgements made on them by
shape and position alone (no word lists, so they hold in every language):

- paragraphs follow the page's block elements (<p>, list items, table rows, headings), never
  its source line breaks: trafilatura's plain-text output keeps the newlines a CMS hard-wrapped
  into a <p> around its links, which would make one paragraph per source line;
- furniture at the end of the main text: a short label ending in ':' ("Lue seuraavaksi:",
  "Seguir leyendo:") with only link-like lines (short, no sentence end, mostly links) after it,
  a trailing run of lines that are all links;
- markup that is not prose: template syntax ({{ }}, {% %}), code, CSS and JavaScript text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from digest.wording import counted

# A break (<br>) inside a block separates paragraphs only after a sentence end (old CMSs use
# <br><br> between paragraphs); elsewhere it is a line break in running text.
_SENTENCE_END = re.compile(r"[.!?…:][\"'”’»)\]]*$")
_BREAK = "\u2029"
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Block:
    """One paragraph of the main text: its text, trafilatura's element name (p, head, item,
    row, quote, code) and the share of its characters inside links."""

    text: str
    kind: str
    link_share: float = 0.0


def _flat(text: str) -> str:
    """NFC, single spaces, no soft hyphens or control characters (as clean_text)."""
    text = unicodedata.normalize("NFC", text)
    return " ".join(_INVISIBLE.sub("", text).split())


def _split_breaks(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in (_flat(p) for p in text.split(_BREAK)):
        if not piece:
            continue
        if pieces and not _SENTENCE_END.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


def anchor_texts(tree: Any) -> frozenset[str]:
    """The text of every link on the page (casefolded, single spaces): a block that is one of
    them whole is a link, whatever trafilatura kept of its markup."""
    found = set()
    for anchor in tree.iter("a"):
        text = _flat(anchor.text_content()).casefold()
        if text:
            found.add(text)
    return frozenset(found)


def _link_share(text: str, anchors: frozenset[str]) -> float:
    """The share of a short block's characters that are the text of links on the page."""
    folded = text.casefold().rstrip(" -|·•,")
    if folded in anchors:
        return 1.0
    if not folded or len(folded.split()) > _LINK_LINE_WORDS:
        return 0.0
    # Longest first, each counted once: "Our Standards: The Trust Principles." is mostly link.
    counted: list[str] = []
    for anchor in sorted((a for a in anchors if len(a) >= 4 and a in folded), key=len)[::-1]:
        if not any(anchor in longer for longer in counted):
            counted.append(anchor)
    return min(1.0, sum(len(a) for a in counted) / len(folded))


# trafilatura's elements that hold a paragraph or more: where one ends inside another (two
# <p> in a cell or an item), the words on either side must not run together.
_INNER_BLOCKS = frozenset({"p", "head", "item", "quote", "list", "table", "row", "code"})
_LAYOUT_CONTENT = ("p", "head", "list", "quote", "table")


def body_blocks(body: Any, anchors: frozenset[str] = frozenset()) -> list[Block]:
    """The paragraphs of trafilatura's body element (its XML: p, head, list/item, table/row/
    cell, quote, code, lb); `anchors`: the page's link texts (see anchor_texts)."""
    for element in body.iter():
        if element.tag == "lb" or (element.tag in _INNER_BLOCKS and element is not body):
            element.tail = _BREAK + (element.tail or "")
    return _container_blocks(body, anchors)


def _container_blocks(container: Any, anchors: frozenset[str]) -> list[Block]:
    blocks = [Block(t, "p") for t in _split_breaks(container.text or "")]
    for child in container:
        if child.tag == "table":
            for row in child.findall("row"):
                blocks.extend(_row_blocks(row, anchors))
        else:
            if child.tag == "list":
                units = [i for i in child.iter("item") if _outermost_item(i)]
            else:
                units = [child]
            for unit in units:
                texts = _split_breaks("".join(unit.itertext()))
                blocks.extend(Block(t, unit.tag, _link_share(t, anchors)) for t in texts)
        # Text trafilatura left loose between its blocks ("<head/>Die Erstellung ...").
        blocks.extend(Block(t, "p") for t in _split_breaks(child.tail or ""))
    return blocks


def _outermost_item(item: Any) -> bool:
    return not any(a.tag == "item" for a in item.iterancestors())


def _row_blocks(row: Any, anchors: frozenset[str]) -> list[Block]:
    """A table row: one paragraph of its cells; a layout table's row (cells holding
    paragraphs, headings, lists: a whole story in a cell) as the blocks in its cells."""
    cells = row.findall("cell")
    if any(cell.find(f".//{tag}") is not None for cell in cells for tag in _LAYOUT_CONTENT):
        return [block for cell in cells for block in _container_blocks(cell, anchors)]
    texts = [_flat("".join(cell.itertext()).replace(_BREAK, " ")) for cell in cells]
    text = " · ".join(t for t in texts if t)
    return [Block(text, "row", _link_share(text, anchors))] if text else []


# -- furniture by shape and position --------------------------------------------------------

_LABEL_WORDS = 6
_LINK_LINE_WORDS = 16


def _is_label(block: Block) -> bool:
    """A short line ending in a colon: the heading of a box of links or a widget."""
    text = block.text.rstrip()
    return text.endswith(":") and len(text.split()) <= _LABEL_WORDS


def _is_box_heading(block: Block) -> bool:
    """A short heading with only links, or nothing, after it at the end of the text
    ("Empfehlungen der Redaktion"): a story never ends with a heading."""
    return block.kind == "head" and len(block.text.split()) <= _LABEL_WORDS + 2


def _is_link_line(block: Block) -> bool:
    """A line that is a link (a related headline), not a sentence of the story."""
    words = len(block.text.split())
    return block.link_share >= 0.6 and words <= _LINK_LINE_WORDS


def trailing_furniture(blocks: list[Block]) -> int:
    """How many blocks at the end of the main text are furniture: a run of link lines, maybe
    opened by a label ("Lue seuraavaksi:") or a short heading, or a lone label or heading
    left at the very end."""
    end = len(blocks)
    while end > 0 and _is_link_line(blocks[end - 1]):
        end -= 1
    links = len(blocks) - end
    if end > 0 and (_is_label(blocks[end - 1]) or _is_box_heading(blocks[end - 1])):
        return links + 1
    # Two link lines at the end could be the story's own "sources" list; three are a box.
    return links if links >= 3 else 0


def leading_furniture(blocks: list[Block]) -> int:
    """A run of link lines before the story (breadcrumbs, a section menu)."""
    start = 0
    while (
        start < len(blocks)
        and _is_link_line(blocks[start])
        and len(blocks[start].text.split()) <= 4
    ):
        start += 1
    return start if start >= 2 else 0


# -- markup, not prose ----------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{.{0,200}?\}\}|\{%.{0,200}?%\}|\$\{[^{}]{1,200}\}|\[\[\s*[\w.]+\s*\]\]")
# Characters that are frequent in code, CSS and JavaScript and rare in prose.
_CODE_CHARS = frozenset("{}();=<>[]$_\\|&")
_CODE_SHAPE = re.compile(
    r"[{};]\s*$|^\s*[.#@]?[\w-]+\s*\{|\bfunction\s*\(|=>|\bvar\s+\w+\s*=|\b(?:const|let)\s+\w+\s*="
    r"|\w+\([^()]{0,80}\);|^\s*<[a-z!/]|\b\w+:\s*[\w#-]+;"
)


def template_spans(text: str) -> list[str]:
    """Template placeholders in a text: {{ x }}, {% x %}, ${x}, [[x]]."""
    return _TEMPLATE.findall(text)


def looks_like_code(text: str) -> bool:
    """A paragraph of code, CSS or JavaScript rather than prose: many code characters and a
    code shape (a statement end, a rule block, a function)."""
    if not text:
        return False
    symbols = sum(c in _CODE_CHARS for c in text)
    # "=> Wie bist Du vorgegangen?" has an arrow; a statement of code has several symbols.
    return symbols >= 4 and symbols / len(text) >= 0.06 and bool(_CODE_SHAPE.search(text))


def template_problem(paragraphs: list[str]) -> str | None:
    """Why the text is an unrendered template ({{ }}, {% %}) rather than prose, or None."""
    text = " ".join(paragraphs)
    placeholders = [p for paragraph in paragraphs for p in template_spans(paragraph)]
    if not text or not placeholders:
        return None
    template_chars = sum(len(p) for p in placeholders)
    # A story may quote a placeholder or two; a page left unrendered is made of them, or
    # has a paragraph that is mostly one (the lead a summary would open with).
    mostly = any(
        sum(len(p) for p in template_spans(paragraph)) >= 0.5 * len(paragraph)
        for paragraph in paragraphs
    )
    if len(placeholders) >= 5 or template_chars >= 0.15 * len(text) or mostly:
        return (
            f"template syntax, not text: {counted(len(placeholders), 'placeholder')} such as "
            f"{placeholders[0][:60]!r} (the page is filled in by scripts)"
        )
    return None


def markup_problem(paragraphs: list[str]) -> str | None:
    """Why the text is markup rather than an article (template syntax, code), or None."""
    template = template_problem(paragraphs)
    if template is not None:
        return template
    text = " ".join(paragraphs)
    code = [p for p in paragraphs if looks_like_code(p)]
    if text and sum(len(p) for p in code) >= 0.3 * len(text):
        return f"code, CSS or JavaScript, not text: {len(code)} of {len(paragraphs)} paragraphs"
    return None


# -- lines repeated across a site's pages ---------------------------------------------------

# A line this short that the same site printed on this many earlier pages is its furniture
# ("Our Standards: ...", a sidebar heading, a sign-off), in whatever language (template
# detection by repetition, after Bar-Yossef and Rajagopalan, WWW 2002). Longer lines and
# lines seen once before are kept: two outlets may run the same wire sentence.
_REPEATED_WORDS = 16
_REPEATED_PAGES = 2


class SiteLines:
    """The short lines each site has printed on the pages fetched so far in a run."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, int]] = {}

    def without_repeated(self, site: str, paragraphs: list[str]) -> tuple[list[str], list[str]]:
        """The paragraphs without the site's repeated lines, and those dropped; this page's
        short lines are remembered for the next."""
        seen = self.pages.setdefault(site, {})
        keys = [" ".join(p.casefold().split()) for p in paragraphs]
        kept, dropped = [], []
        for paragraph, key in zip(paragraphs, keys, strict=True):
            if seen.get(key, 0) >= _REPEATED_PAGES:
                dropped.append(paragraph)
            else:
                kept.append(paragraph)
        for key in set(keys):
            if len(key.split()) <= _REPEATED_WORDS:
                seen[key] = seen.get(key, 0) + 1
        return (kept, dropped) if len(kept) >= 1 else (paragraphs, [])
