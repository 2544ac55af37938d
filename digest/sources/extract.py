"""An article's text and metadata from its page: trafilatura, checked against the page's own
structured data (JSON-LD `articleBody`) where the page has it.

trafilatura finds the story's block of the page well, but keeps what sits inside that block:
captions, "Read more" links, sign-up boxes. A newsroom's JSON-LD `articleBody` is the story as
its CMS stored it, without them, but as one run of text with no paragraphs (and sometimes
truncated or a teaser). So: trafilatura's paragraphs, keeping those the structured body
confirms; the structured body itself, split into paragraphs, only when trafilatura found
much less than it. Small pure functions over parsed trees; nothing from the page is evaluated.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from digest.sources.blocks import (
    Block,
    anchor_texts,
    body_blocks,
    leading_furniture,
    looks_like_code,
    markup_problem,
    trailing_furniture,
)
from digest.sources.cleanup import furniture_kind, in_capitals
from digest.sources.urls import absolute
from digest.wording import counted

# Below this many words a page is not an article (a video page, an index, a consent wall);
# a real brief has more (a wire "briefly" item runs to 50-100 words).
MIN_WORDS = 40
# A page that says it is paywalled and shows fewer words than this is a teaser, not a story.
PAYWALL_WORDS = 150
# Words a JSON-LD articleBody needs before it is trusted to judge trafilatura's paragraphs.
_MIN_STRUCTURED_WORDS = 60
_ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "SocialMediaPosting",
    }
)
_MAX_JSON_LD = 2_000_000
_BLOCKS = ("p", "li", "h2", "h3", "h4", "blockquote", "pre", "td", "dd")
_PAYWALL = re.compile(
    r"\b(subscribe (now )?to (continue|keep) reading|to continue reading|this (article|story|"
    r"content) is (only )?(available|for) (to )?(subscribers|members)|already a subscriber|"
    r"subscribers only|sign in to (continue|read)|log in to continue|unlock this (article|story)|"
    r"become a (member|subscriber) to read)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Extracted:
    """What a page says about its article; paragraphs are plain text."""

    title: str | None
    paragraphs: tuple[str, ...]
    date: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    # The page says it is not free to read (JSON-LD isAccessibleForFree: false) or shows a
    # subscription prompt where the story should be.
    paywalled: bool = False
    # Words of the story visible on the page itself (what a paywall check must count).
    page_words: int | None = None
    # Why the page counts as paywalled, in its own terms.
    paywall_reason: str | None = None
    # Why the text is markup rather than prose (template syntax, code), or None.
    markup: str | None = None
    # Where digest's corrections and trafilatura disagreed, and which was kept, and why.
    notes: tuple[str, ...] = ()

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def clean_text(text: str) -> str:
    """NFC, no control, bidi-override or soft-hyphen characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
    # Soft hyphens too: hints for where a browser may break a word, they split it for search
    # and for every word count.
    text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b\u202a-\u202e\u2066-\u2069]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _parse(html: str | bytes) -> Any:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


# -- structured data ---------------------------------------------------------------------


def _json_ld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = script.text or ""
        if len(raw) > _MAX_JSON_LD:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack = [data]
        while stack:  # iterative: a hostile page can nest deeply
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                yield node
                graph = node.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k for k in kinds if isinstance(k, str)}


def structured_article(tree: Any, url: str = "") -> dict[str, Any] | None:
    """The page's JSON-LD object for its own article: the one whose address or headline is
    the page's, or the only article object there is. Pages also describe related stories in
    JSON-LD, and another story's articleBody must never stand in for this one's."""
    found = [node for node in _json_ld_objects(tree) if _types(node) & _ARTICLE_TYPES]
    if not found:
        return None
    page_headlines = _headlines(tree)
    for node in found:
        addresses = [node.get("url"), node.get("mainEntityOfPage")]
        addresses += [a.get("@id") for a in addresses if isinstance(a, dict)]
        if url and any(isinstance(a, str) and a.rstrip("/") == url.rstrip("/") for a in addresses):
            return node
        headline = node.get("headline")
        if isinstance(headline, str) and tuple(_words(headline)) in page_headlines:
            return node
    return found[0] if len(found) == 1 else None


def _names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for entry in values:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and clean_text(name):
            name = clean_text(name)
            # Wire bylines shout ("By ANA BELTRÁN"); the front matter names a person.
            names.append(name.title() if name.isupper() else name)
    return names


def canonical_link(tree: Any, base_url: str) -> str | None:
    for href in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        url = absolute(base_url, str(href))
        if url:
            return url
    return None


# -- paragraphs --------------------------------------------------------------------------


def html_paragraphs(fragment: str) -> list[str]:
    """Paragraphs of an HTML fragment (a feed's content:encoded): its block elements' text,
    or its text lines when it has no blocks."""
    tree = _parse(f"<div>{fragment}</div>")
    if tree is None:
        return []
    for bad in tree.xpath("//script | //style | //figure | //figcaption | //noscript"):
        bad.drop_tree()
    # Outermost blocks only: an <li> holding a <p> is one paragraph, not two.
    blocks = [
        b for b in tree.iter(*_BLOCKS) if not any(a.tag in _BLOCKS for a in b.iterancestors())
    ]
    texts = [clean_text(b.text_content()) for b in blocks] if blocks else []
    if not texts:
        texts = [clean_text(line) for line in tree.text_content().split("\n")]
    return [t for t in texts if t]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _grams(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))} or (
        {tuple(words)} if words else set()
    )


def confirmed(paragraphs: list[str], structured_body: str) -> tuple[list[str], float]:
    """The paragraphs whose word trigrams are mostly in the structured body, and the share
    of the structured body's trigrams they cover."""
    body_grams = _grams(_words(structured_body))
    body_words = set(_words(structured_body))
    kept: list[str] = []
    covered: set[tuple[str, ...]] = set()
    for paragraph in paragraphs:
        words = _words(paragraph)
        grams = _grams(words)
        if len(words) < 3:  # "Yes." - too short for trigrams: its words must be in the body
            if words and set(words) <= body_words:
                kept.append(paragraph)
            continue
        if len(grams & body_grams) >= 0.6 * len(grams):
            kept.append(paragraph)
            covered |= grams & body_grams
    return kept, len(covered) / max(1, len(body_grams))


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9])")


def split_body(body: str) -> list[str]:
    """A structured articleBody as paragraphs: its own line breaks, else three sentences a
    paragraph (a single 5,000-character line is not how anyone reads a story)."""
    lines = [clean_text(line) for line in re.split(r"\n\s*\n|\n", body)]
    lines = [line for line in lines if line]
    if len(lines) > 1:
        return lines
    sentences = _SENTENCE_END.split(clean_text(body))
    return [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]


def split_long(paragraph: str) -> list[str]:
    """A run of text longer than any newspaper paragraph (a whole story on one line, as some
    pages and trafilatura's own JSON-LD fallback give it) as three-sentence paragraphs."""
    if len(paragraph) <= 1_000:
        return [paragraph]
    sentences = _SENTENCE_END.split(paragraph)
    if len(sentences) < 6:
        return [paragraph]
    return [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]


# trafilatura's own evaluation settings: comments never are the story, tables are its figures.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "include_formatting": False,
}


def trafilatura_document(html: str | bytes, url: str) -> Any:
    """trafilatura's document (text, metadata and main-text tree) for the page, or None."""
    return trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, **_TRAFILATURA_OPTIONS
    )


def trafilatura_blocks(document: Any, tree: Any = None) -> list[Block]:
    """trafilatura's main text as blocks that follow the page's block elements."""
    if document is None:
        return []
    body = getattr(document, "body", None)
    if body is not None and len(body):
        return body_blocks(body, anchor_texts(tree) if tree is not None else frozenset())
    text = getattr(document, "text", None) or ""
    return [Block(p, "p") for p in (clean_text(line) for line in text.split("\n")) if p]


def trafilatura_paragraphs(html: str | bytes, url: str) -> tuple[list[str], Any]:
    document = trafilatura_document(html, url)
    return [b.text for b in trafilatura_blocks(document)], document


# Lines that point elsewhere, label a slot or credit a photo, never the story: "Read more:
# <headline>", "Advertisement", "Photo: ...", "Sign up for our newsletter", a byline or time
# stamp trafilatura left in, a copyright notice. Judged by shape: a short paragraph opening
# with the label (or, for bylines and stamps, a short one without a sentence end).
_LABELLED = re.compile(
    r"^(read more|related( coverage| stories| articles| content)?|see also|also read"
    r"|more on this( story)?|more from|recommended|most read|trending|watch|listen|sponsored"
    r"|advertisement|photo|photograph|image|picture|credit|video|graphic|illustration"
    r"|file photo|subscribe|sign up|newsletter|share|follow us)\b\s*[:|–—-]",
    re.IGNORECASE,
)
_WHOLE = re.compile(
    r"^(advertisement|skip advertisement|supported by|continue reading the main story"
    r"|story continues below( advertisement)?|share( this( article| story)?)?"
    r"|share on (facebook|twitter|x|whatsapp|linkedin|email)\b.*|copy link|print"
    r"|sign up (for|to) (our|the)\b.*|subscribe to (our|the)\b.*"
    r"|(click|tap) here to\b.*|follow (us|\w+ \w+) on (twitter|x|facebook|instagram)\b.*"
    r"|(additional )?(reporting|writing|editing) by\b.*|©.*|copyright\s*(©|\(c\)|\d{4}).*"
    r"|the post .{1,300} appeared first on .{1,200}|this (article|story) (was )?originally "
    r"(appeared|published) (on|in|at) .{1,200}"
    r"|.*\ball rights reserved\b.*|\(?(ap|reuters|afp|getty images|epa)( photo)?/[^)]*\)?)$",
    re.IGNORECASE,
)
# "By Jane Roe and John Doe, Reuters" (names only: "By the numbers" is a sub-head) and
# "Updated 9:15 AM, March 2" (with a digit: a time or date).
_BYLINE = re.compile(
    r"^by\s+(?:(?:[A-ZÀ-Þ][\w.'’-]*|and|&|of|the|de|van|von)(?:,?\s+|$))+$"
    r"|^(?:updated|published|posted|last updated|first published)\b[^.!?]*\d[^!?]*$",
    re.IGNORECASE,
)


def is_furniture(paragraph: str) -> bool:
    words = len(paragraph.split())
    if words > 40:
        return False
    return bool(
        (words <= 25 and _LABELLED.match(paragraph))
        or _WHOLE.match(paragraph.strip())
        or (words <= 12 and _byline(paragraph))
    )


def _byline(paragraph: str) -> bool:
    if not _BYLINE.match(paragraph):
        return False
    if paragraph[:3].lower() != "by ":
        return True
    # Case-insensitive above for "BY"; the names themselves must be capitalised.
    names = [w for w in re.split(r"[\s,]+", paragraph[3:]) if w]
    return all(w[0].isupper() or w in ("and", "&", "of", "the", "de", "van", "von") for w in names)


def not_furniture(paragraphs: list[str]) -> list[str]:
    return [p for p in paragraphs if not is_furniture(p)]


def _headlines(tree: Any, *titles: str | None) -> set[tuple[str, ...]]:
    """The headline as the page gives it in each place (JSON-LD, <h1>, og:title, <title>
    without the site name), as word tuples."""
    found = [t for t in titles if t]
    found += [str(x) for x in tree.xpath("//h1//text()[normalize-space()]")][:3]
    found += [str(x) for x in tree.xpath('//meta[@property="og:title"]/@content')]
    for title in tree.xpath("//title/text()"):
        found.append(re.split(r"\s+[|–—-]\s+", str(title))[0])
    return {tuple(_words(t)) for t in found if _words(t)}


def _drop_headline(paragraphs: list[str], headlines: set[tuple[str, ...]]) -> list[str]:
    """Without the headline trafilatura keeps as the first line (the page's <h1>)."""
    while paragraphs and tuple(_words(paragraphs[0])) in headlines:
        paragraphs = paragraphs[1:]
    return paragraphs


# The corrections digest makes to trafilatura's text, each measured against trafilatura alone
# on pages it was not tuned on (benchmarks/extraction.py; `corrections` switches them off).
# "furniture" (the English list of is_furniture) is left out: with "readers" it changed
# nothing on the tuning rows (F1 0.9259 with and without it).
CORRECTIONS = frozenset({"headline", "edges", "structured", "code", "readers"})
ALL_CORRECTIONS = CORRECTIONS | {"furniture"}


def extract(html: str | bytes, url: str, corrections: frozenset[str] = CORRECTIONS) -> Extracted:
    """The article on a page: see the module docstring."""
    tree = _parse(html)
    if tree is None:
        return Extracted(title=None, paragraphs=())
    article = structured_article(tree, url) or {}
    document = trafilatura_document(html, url)
    blocks = trafilatura_blocks(document, tree)
    notes: list[str] = []
    title = _first_text(article.get("headline"), getattr(document, "title", None))
    if "edges" in corrections:
        blocks = _without_edges(blocks, notes)
    if "readers" in corrections:
        blocks = _without_readers_furniture(blocks, notes)
    paragraphs = [b.text for b in blocks]
    if "headline" in corrections:
        paragraphs = _drop_headline(
            paragraphs, _headlines(tree, title, getattr(document, "title", None))
        )
    if "furniture" in corrections:
        paragraphs = _without_furniture(paragraphs, notes)
    # Judged before code paragraphs are dropped too: a page of markup is refused as one,
    # unless a whole story's prose is left without them.
    markup = markup_problem(paragraphs)
    if "code" in corrections:
        paragraphs = _without_code(paragraphs, notes)
    if len(" ".join(paragraphs).split()) >= PAYWALL_WORDS:
        markup = markup_problem(paragraphs)
    # What a reader sees on the page, before any structured data: the paywall judge.
    page_words = _visible_words(tree, paragraphs)
    if "structured" in corrections:
        paragraphs = _with_structured_body(
            paragraphs, article.get("articleBody"), tree, title, notes
        )
    paragraphs = [part for paragraph in paragraphs for part in split_long(paragraph)]
    author_names = _names(article.get("author")) or _names(getattr(document, "author", None))
    date = _first_text(article.get("datePublished"), getattr(document, "date", None))
    return Extracted(
        title=title,
        paragraphs=tuple(paragraphs),
        date=date,
        author=", ".join(dict.fromkeys(author_names)) or None,
        canonical_url=canonical_link(tree, url),
        paywalled=_paywall_reason(article, paragraphs[-3:]) is not None,
        notes=tuple(notes),
        page_words=page_words,
        paywall_reason=_paywall_reason(article, paragraphs[-3:]),
        markup=markup,
    )


_VISIBLE_TEXT = (
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
    " and not(ancestor::template)]"
)


def _visible_words(tree: Any, paragraphs: list[str]) -> int:
    """Words of the paragraphs that stand in the page's visible text (trafilatura falls back
    on a JSON-LD articleBody by itself, which no reader sees)."""
    visible = clean_text(" ".join(str(t) for t in tree.xpath(_VISIBLE_TEXT))).casefold()

    def shown(paragraph: str) -> bool:
        # Its start or end is enough: a tag inside a word ("Mit<span>tel</span>") splits it.
        words = paragraph.casefold().split()
        return " ".join(words[:6]) in visible or " ".join(words[-6:]) in visible

    return sum(len(p.split()) for p in paragraphs if shown(p))


def _paywall_reason(article: dict[str, Any], last: list[str]) -> str | None:
    if article.get("isAccessibleForFree") in (False, "False", "false"):
        return "its structured data says isAccessibleForFree: false"
    prompt = next((m for p in last if (m := _PAYWALL.search(p))), None)
    return f"it asks the reader to {prompt.group()!r}" if prompt else None


def _without_edges(blocks: list[Block], notes: list[str]) -> list[Block]:
    """Without link boxes at the start and end of the main text (by shape and position)."""
    head = leading_furniture(blocks)
    tail = trailing_furniture(blocks[head:])
    if head or tail:
        dropped = blocks[:head] + blocks[len(blocks) - tail :]
        notes.append(
            f"dropped {counted(len(dropped), 'link line')} at the edges of trafilatura's text "
            f"(link-dense, short, no sentence), e.g. {dropped[0].text[:60]!r}"
        )
    return blocks[head : len(blocks) - tail]


def _without_furniture(paragraphs: list[str], notes: list[str]) -> list[str]:
    kept = not_furniture(paragraphs)
    if len(kept) < len(paragraphs):
        dropped = [p for p in paragraphs if p not in kept]
        notes.append(f"dropped {len(dropped)} furniture line(s), e.g. {dropped[0][:60]!r}")
    return kept


def _without_readers_furniture(blocks: list[Block], notes: list[str]) -> list[Block]:
    """Without whole paragraphs the readers would set apart anyway (captions, credits,
    sign-up lines: digest.sources.cleanup), so the written file holds the story. A list item
    or table cell in capitals is an acronym ("CDU/CSU", "RHEL"), not a page label."""

    def furniture(block: Block) -> bool:
        if block.kind in ("item", "row") and in_capitals(block.text):
            return False
        return furniture_kind(block.text) is not None

    dropped = [b.text for b in blocks if furniture(b)]
    if dropped:
        notes.append(f"dropped {len(dropped)} caption or promo line(s), e.g. {dropped[0][:60]!r}")
    return [b for b in blocks if not furniture(b)]


def _without_code(paragraphs: list[str], notes: list[str]) -> list[str]:
    kept = [p for p in paragraphs if not looks_like_code(p)]
    if len(kept) < len(paragraphs):
        notes.append(f"dropped {counted(len(paragraphs) - len(kept), 'paragraph')} of code or CSS")
    return kept


def _with_structured_body(
    paragraphs: list[str], body: Any, tree: Any, title: str | None, notes: list[str]
) -> list[str]:
    """trafilatura's paragraphs checked against the page's JSON-LD articleBody: those it
    confirms when it is the whole story; the body itself when trafilatura found much less."""
    if not isinstance(body, str) or len(_words(body)) < _MIN_STRUCTURED_WORDS:
        return paragraphs
    body_words, page_words = len(_words(body)), len(_words(" ".join(paragraphs)))
    if body_words < 0.8 * page_words:
        # A teaser or a truncated copy: it cannot judge the story on the page.
        if page_words >= MIN_WORDS:
            notes.append(
                f"kept trafilatura's {page_words} words: the JSON-LD articleBody has only "
                f"{body_words} (a teaser or cut)"
            )
        return paragraphs
    kept, coverage = confirmed(paragraphs, body)
    if coverage >= 0.8 and len(_words(" ".join(kept))) >= MIN_WORDS:
        if len(kept) < len(paragraphs):
            notes.append(
                f"dropped {counted(len(paragraphs) - len(kept), 'paragraph')} the JSON-LD "
                "articleBody does not have (it covers the rest)"
            )
        return kept
    if body_words > 1.3 * page_words:
        # trafilatura missed much of the story (scripts render it, odd markup).
        notes.append(
            f"used the JSON-LD articleBody ({body_words} words): trafilatura found {page_words}"
        )
        return _drop_headline(split_body(body), _headlines(tree, title))
    return paragraphs


def _first_text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and clean_text(value):
            return clean_text(value)
    return None


def problem(extracted: Extracted) -> str | None:
    """Why this page is not written as an article, or None."""
    words = extracted.words
    visible = words if extracted.page_words is None else extracted.page_words
    if extracted.paywalled and visible < PAYWALL_WORDS:
        why = f" ({extracted.paywall_reason})" if extracted.paywall_reason else ""
        return (
            f"paywalled{why}: only {counted(visible, 'word')} of the story are visible on the page"
        )
    if extracted.markup:
        return extracted.markup
    if words < MIN_WORDS:
        return f"almost no text ({counted(words, 'word')}): not an article, or a stub"
    if not extracted.title:
        return "no headline found"
    return None
