"""Article files for fetched stories: Markdown with the front matter the readers accept.

Every path is made from sanitised slugs and checked to stay inside content/; the same
article gives the same bytes (no fetch time in the file unless the page had no date).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from slugify import slugify

from digest.sources.text import markdown_to_text

_MAX_SLUG = 60


@dataclass(frozen=True)
class NewArticle:
    title: str
    date: datetime
    source: str
    url: str
    paragraphs: tuple[str, ...]
    author: str | None = None
    topics: tuple[str, ...] = ()
    # The source's `language:` (ISO 639-1), or "" to leave it to detection at build time.
    language: str = ""


def file_stem(article: NewArticle) -> str:
    title = slugify(article.title, max_length=_MAX_SLUG, word_boundary=True) or "article"
    return f"{article.date.date().isoformat()}-{title}"


def render(article: NewArticle) -> str:
    meta: dict[str, object] = {
        "title": article.title,
        "date": article.date.isoformat(),
        "source": article.source,
        "url": article.url,
    }
    if article.author:
        meta["author"] = article.author
    if article.topics:
        meta["topics"] = list(article.topics)
    if article.language:
        meta["language"] = article.language
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    body = "\n\n".join(_markdown_safe(p) for p in article.paragraphs)
    return f"---\n{front}---\n\n{body}\n"


# Characters the readers would take for Markdown or HTML inside a paragraph, written as
# character references (which they decode last: a backslash cannot shield a construct they
# read first), each only where it would start markup: the text stays readable and editable.
_INLINE = {
    "<": "&lt;",
    "*": "&#42;",
    "_": "&#95;",
    "`": "&#96;",
    "[": "&#91;",
    "\\": "&#92;",
    "|": "&#124;",
}
_INLINE_RE = re.compile("[<*_`[|\\\\]")
# Where each character starts markup for the readers (digest.sources.text).
_STARTS_MARKUP = {
    "<": re.compile(r"<[A-Za-z/!?]"),
    "*": re.compile(r"\*{1,3}\S"),
    "_": re.compile(r"_{1,3}\S"),
    "`": re.compile(r"`[^`]*`"),
    "[": re.compile(r"\[[^\[\]]*\][(\[]"),
    "\\": re.compile(r"\\[\\`*_{}\[\]()#+\-.!|~<>]"),
    # The readers read every | as a table border.
    "|": re.compile(r"\|"),
}


# What html.unescape reads as a reference (the pattern of the standard library's own).
_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


def _amp(text: str) -> str:
    """& written as &amp; only where it would otherwise be read as a reference (&copy;, &#42;):
    "AT&T" and "Q&A" stay as they are."""

    def one(match: re.Match[str]) -> str:
        reference = match.group()
        return "&amp;" + reference[1:] if html.unescape(reference) != reference else reference

    return _REFERENCE.sub(one, text)


def _with_references(text: str, chars: set[str]) -> str:
    if not chars:
        return text
    return _INLINE_RE.sub(lambda m: _INLINE[m.group()] if m.group() in chars else m.group(), text)


def _escape_inline(paragraph: str, every: bool) -> str:
    """Markup characters as references: those that would start markup, or `every` one."""
    needed = {c for c, starts in _STARTS_MARKUP.items() if every or starts.search(paragraph)}
    text = _amp(paragraph)
    if every:
        return _with_references(text, needed)
    # Each kind left as written where the text still reads back the same ("3*4", "C:\\path").
    for char in sorted(needed):
        fewer = needed - {char}
        if markdown_to_text(_with_references(text, fewer)) == paragraph:
            needed = fewer
    return _with_references(text, needed)


def _escape_start(paragraph: str) -> str:
    """A block marker at the start (heading, quote, list, rule, setext underline, fence,
    front matter, definition, "1." list) as a reference: it reads as the character."""
    return f"&#{ord(paragraph[0])};{paragraph[1:]}" if paragraph else paragraph


def _markdown_safe(paragraph: str) -> str:
    """The paragraph as Markdown that reads back as the same text, escaping only what the
    readers would take for markup (checked by reading it back; where that fails, every
    markup character is escaped, as safe as before and less readable)."""
    escaped = _escape_inline(paragraph, every=False)
    if markdown_to_text(escaped) != paragraph:
        escaped = _escape_start(escaped)
    if markdown_to_text(escaped) != paragraph:
        escaped = _escape_inline(paragraph, every=True)
        if escaped[:1] in "#>+-=.:~" or re.match(r"\d+[.)](\s|$)", escaped):
            escaped = _escape_start(escaped)
    return escaped


def page_slug(folder: str, name: str) -> str:
    """The slug the readers give content/folder/name.md (its page's URL name)."""
    return slugify(f"{folder}-{name}")


def target_path(content_dir: Path, folder: str, stem: str, taken: set[str]) -> Path:
    """content_dir/folder/stem.md, numbered when the file exists or its page slug is taken
    (`taken`: the slugs of the articles in content/, which the readers keep unique by
    skipping the later file); never outside content."""
    folder = slugify(folder, max_length=_MAX_SLUG) or "source"
    stem = slugify(stem, max_length=_MAX_SLUG + 11) or "article"
    root = content_dir.resolve()
    number = 1
    while True:
        name = stem if number == 1 else f"{stem}-{number}"
        path = root / folder / f"{name}.md"
        if page_slug(folder, name) not in taken and not path.exists():
            break
        number += 1
    if not path.resolve().is_relative_to(root):  # a symlinked folder pointing away
        raise ValueError(f"{path} would be outside {root}")
    return path


def write(path: Path, text: str) -> None:
    """Atomically: a run killed halfway leaves no half-written article for the build."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".fetch-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
