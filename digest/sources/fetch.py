"""`digest fetch`: each configured source's new items, fetched, extracted, checked and
written to content/<source>/, with one Outcome per item saying what became of it."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dateutil import parser as dateparser

from digest.config import FEED_ITEMS, SITEMAP_ITEMS, DigestConfig, Source, resolve_timezone
from digest.sources.addresses import AddressRefused, check_url
from digest.sources.blocks import SiteLines
from digest.sources.dedupe import DuplicateIndex
from digest.sources.extract import (
    Extracted,
    clean_text,
    extract,
    html_paragraphs,
    not_furniture,
    problem,
    split_body,
)
from digest.sources.feeds import FeedError, Item, newest, parse_feed, parse_sitemap
from digest.sources.files import ContentReader
from digest.sources.http import FEED_TYPES, Fetcher, FetchError, HttpCache, Policy
from digest.sources.store import (
    NewArticle,
    file_stem,
    page_slug,
    render,
    target_path,
    write,
)
from digest.sources.urls import canonical_url
from digest.wording import counted

# A feed entry's own text is the full story when it is at least this long and does not
# end the way teasers do; otherwise the page is fetched.
FULL_TEXT_WORDS = 200
_TEASER_END = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|read more|continue reading)\W*$", re.I)
# Child sitemaps read from a sitemap index.
MAX_CHILD_SITEMAPS = 5
_SEEN_FILE = "seen.json"
_MAX_SEEN_BYTES = 20_000_000
_MAX_SEEN_ENTRIES = 50_000

STATUSES = ("new", "unchanged", "duplicate", "failed")


@dataclass(frozen=True)
class Outcome:
    """What became of one item (or of a whole source that could not be read)."""

    source: str
    url: str
    # new | unchanged | duplicate | failed
    status: str
    detail: str = ""
    # content/-relative file written, or the one this item duplicates.
    file: str | None = None
    # Where digest's clean-up and trafilatura disagreed on the page, and which was kept.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchReport:
    outcomes: tuple[Outcome, ...]
    requests: int
    dry_run: bool = False
    # Items left out on purpose (include/exclude, max_items, child sitemaps), per source.
    notes: tuple[str, ...] = ()

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")


@dataclass
class _Seen:
    """What earlier runs learnt about item URLs, so a second run does not ask for them again:
    url -> {"status", "file", "detail", "permanent"}. Kept in cache_dir, which others may
    write: the file is the HMAC of its JSON (the kept pages' key), a newline, the JSON; one
    that does not verify is not read (a planted "already written" would hide a new story)."""

    path: Path | None
    secret: bytes | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _mac(self, text: str) -> str:
        assert self.secret is not None
        return hmac.new(self.secret, b"seen\0" + text.encode("utf-8"), "sha256").hexdigest()

    @classmethod
    def load(cls, path: Path | None, secret: bytes | None = None) -> _Seen:
        seen = cls(path, secret)
        if path is None or secret is None:
            return seen
        try:
            if path.stat().st_size > _MAX_SEEN_BYTES:
                return seen
            mac, _, text = path.read_text(encoding="utf-8").partition("\n")
            if not hmac.compare_digest(mac, seen._mac(text)):
                return seen
            raw = json.loads(text)
        except (OSError, ValueError):
            return seen
        if isinstance(raw, dict):
            for url, entry in raw.items():
                if (
                    isinstance(url, str)
                    and isinstance(entry, dict)
                    and entry.get("status") in STATUSES
                    and all(isinstance(entry.get(k, ""), str) for k in ("file", "detail"))
                    and _inside(entry.get("file", ""))
                ):
                    seen.entries[url] = entry
        return seen

    def remember(self, outcome: Outcome, permanent: bool) -> None:
        """Note what became of an item, for the next run."""
        # Re-inserted at the end: save() keeps the most recently seen entries.
        self.entries.pop(canonical_url(outcome.url), None)
        if outcome.status == "unchanged" and outcome.file:
            # Remembered under the item's own address too, so a feed whose links differ
            # from the pages' addresses is not asked again for each of them next run.
            self.entries[canonical_url(outcome.url)] = {
                "status": "new",
                "file": outcome.file,
                "detail": "",
                "permanent": False,
            }
        elif outcome.status != "unchanged":
            self.entries[canonical_url(outcome.url)] = {
                "status": outcome.status,
                "file": outcome.file or "",
                "detail": outcome.detail,
                "permanent": permanent,
            }

    def save(self) -> None:
        if self.path is None or self.secret is None:
            return
        # Bounded: items gone from the feeds long ago need not be remembered.
        for url in list(self.entries)[: max(0, len(self.entries) - _MAX_SEEN_ENTRIES)]:
            del self.entries[url]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(self.entries)
            self.path.write_text(self._mac(text) + "\n" + text, encoding="utf-8")
        except OSError:
            pass


def _inside(relative: str) -> bool:
    """A content/-relative path from the cache that cannot point outside content/."""
    parts = relative.split("/")
    return not relative.startswith(("/", "\\")) and ".." not in parts and "\\" not in relative


def _unexpected(error: Exception) -> str:
    """What went wrong, for the report, when it was not a network or feed problem."""
    text = " ".join(str(error).split())[:300]
    return f"not fetched: {type(error).__name__}: {text}" if text else type(error).__name__


def _policy(source: Source) -> Policy:
    return Policy(source.allow_private, source.delay, source.timeout, source.max_bytes)


def _same_site(a: str, b: str) -> bool:
    """Whether a page's rel=canonical may be believed: the same host, or one a subdomain of
    the other (m.site.org -> www.site.org via site.org). A page cannot claim to be another
    site's story and so be dropped as its duplicate; "co.uk"-style suffixes never match alone
    because the shorter host must itself have a dot-separated name under the suffix."""

    def host(url: str) -> str:
        name = (urlsplit(url).hostname or "").lower()
        for prefix in ("www.", "m.", "amp.", "mobile."):
            name = name.removeprefix(prefix)
        return name

    first, second = host(a), host(b)
    if not first or not second:
        return False
    short, long = sorted((first, second), key=len)
    return short == long or (long.endswith("." + short) and short.count(".") >= 1)


def _parse_date(value: str | None, tz: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = dateparser.parse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed if 1800 <= parsed.year <= 2200 else None


def _headline(title: str | None) -> str | None:
    """One line, no control characters, at most 300 characters (cut at a word): the readers
    skip titles over 500 characters as a scraper's mistake."""
    text = clean_text(title or "")
    if len(text) > 300:
        text = text[:300].rsplit(" ", 1)[0] + "…"
    return text or None


def _feed_text(item: Item) -> list[str]:
    """The item's full text from the feed, or [] when the feed carries a teaser only."""
    if item.content_html:
        paragraphs = html_paragraphs(item.content_html)
    elif item.content_text:
        paragraphs = split_body(item.content_text)
    else:
        return []
    # Feeds append their own furniture ("The post ... appeared first on ...").
    paragraphs = not_furniture(paragraphs)
    text = " ".join(paragraphs)
    if len(text.split()) < FULL_TEXT_WORDS or _TEASER_END.search(text):
        return []
    return paragraphs


@dataclass(frozen=True)
class _Fetched:
    """An item's text as fetched: how it was got (for the report), the item's canonical URL,
    the page's own (where it was fetched, or the item's) and the date the page gave."""

    extracted: Extracted
    how: str
    url: str
    page_url: str
    date_text: str | None


class FetchRun:
    """One `digest fetch`: the content index, the fetcher and the outcomes so far."""

    def __init__(
        self,
        config: DigestConfig,
        fetcher: Fetcher | None = None,
        dry_run: bool = False,
        on_items: Callable[[Source, int], None] | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        today: date | None = None,
        now: datetime | None = None,
        secret: bytes | None = None,
    ) -> None:
        """secret: the key authenticating what is kept in cache_dir between runs (the CLI
        passes the kept pages' key); None: nothing is kept or trusted from there."""
        self.config = config
        self.content_dir = config.content_dir
        fetch_cache = config.cache_dir / "fetch" if config.cache_dir else None
        self.fetcher = fetcher or Fetcher(
            HttpCache(fetch_cache / "http", secret) if fetch_cache else None
        )
        self.dry_run = dry_run
        self.on_items = on_items or (lambda source, count: None)
        self.on_outcome = on_outcome or (lambda outcome: None)
        self.now = now or datetime.now(timezone.utc)
        self.today = today or self.now.date()
        self.tz = resolve_timezone(config.timezone)
        self.seen = _Seen.load(fetch_cache / _SEEN_FILE if fetch_cache else None, secret)
        self.index = DuplicateIndex()
        # Page slugs in use: a new file must not take one (the readers would skip it).
        self.taken: set[str] = set()
        # Headlines in use (casefolded) and their files: the readers warn about a second
        # story with the same headline, which fails the daily `mkdocs build --strict`.
        self.titles: dict[str, str] = {}
        self.outcomes: list[Outcome] = []
        self.site_lines = SiteLines()
        self.notes: list[str] = []
        # Files written and canonical item URLs handled in this run.
        self.written: set[str] = set()
        self.asked: set[str] = set()
        self._index_content()

    def _index_content(self) -> None:
        if not self.content_dir.is_dir():
            return
        result = ContentReader(self.content_dir, self.tz, include_drafts=True).read_all()
        for article in result.articles:
            urls = (canonical_url(article.url),) if article.url else ()
            self.index.add(article.source_path, "\n".join(article.paragraphs), urls)
            self.taken.add(article.slug)
            self.titles.setdefault(article.title.casefold(), article.source_path)

    # -- running ---------------------------------------------------------------------------

    def run(self, sources: tuple[Source, ...]) -> FetchReport:
        try:
            for source in sources:
                self._source(source)
        finally:
            self.seen.save()
        return FetchReport(
            tuple(self.outcomes), self.fetcher.requests, self.dry_run, tuple(self.notes)
        )

    def _record(self, outcome: Outcome, permanent: bool = False) -> None:
        self.outcomes.append(outcome)
        self.on_outcome(outcome)
        if not self.dry_run:
            self.seen.remember(outcome, permanent)

    def _items(self, source: Source) -> list[Item]:
        policy = _policy(source)
        if source.kind == "urls":
            items = [Item(url=url) for url in source.urls]
        elif source.kind == "feed":
            response = self.fetcher.get(source.urls[0], policy, FEED_TYPES)
            items = parse_feed(response.body, response.url)
        else:
            items = self._sitemap_items(source, policy)
        listed = len(items)
        items = [
            item
            for item in items
            if (not source.include or any(re.search(p, item.url) for p in source.include))
            and not any(re.search(p, item.url) for p in source.exclude)
        ]
        if len(items) < listed:
            self.notes.append(
                f"{source.name}: {listed - len(items)} of {counted(listed, 'item')} left out by "
                "include/exclude"
            )
        default = {"sitemap": SITEMAP_ITEMS, "feed": FEED_ITEMS}.get(source.kind, len(items))
        limit = source.max_items or default
        if len(items) > limit:
            self.notes.append(
                f"{source.name}: {counted(len(items) - limit, 'older item')} beyond max_items "
                f"({limit}) not fetched this run"
            )
        if source.kind == "urls":
            return items[:limit]
        return newest(items, limit)

    def _sitemap_items(self, source: Source, policy: Policy) -> list[Item]:
        response = self.fetcher.get(source.urls[0], policy, FEED_TYPES)
        items, children = parse_sitemap(response.body, response.url)
        if len(children) > MAX_CHILD_SITEMAPS:
            self.notes.append(
                f"{source.name}: {len(children) - MAX_CHILD_SITEMAPS} of {len(children)} "
                f"sitemaps in the index not read (the first {MAX_CHILD_SITEMAPS} are)"
            )
        for child in children[:MAX_CHILD_SITEMAPS]:
            try:
                child_response = self.fetcher.get(child, policy, FEED_TYPES)
                more, _ = parse_sitemap(child_response.body, child_response.url)
            except (FetchError, FeedError) as error:
                self._record(Outcome(source.name, child, "failed", f"sitemap: {error}"))
                continue
            items.extend(more)
        return items

    def _source(self, source: Source) -> None:
        try:
            items = self._items(source)
        except FetchError as error:
            self._record(Outcome(source.name, error.url, "failed", error.reason))
            return
        except FeedError as error:
            self._record(Outcome(source.name, source.urls[0], "failed", str(error)))
            return
        except Exception as error:  # noqa: BLE001 - one source must not stop the others
            self._record(Outcome(source.name, source.urls[0], "failed", _unexpected(error)))
            return
        self.on_items(source, len(items))
        for item in items:
            try:
                self._item(source, item)
            except FetchError as error:
                self._record(
                    Outcome(source.name, item.url, "failed", error.reason), error.permanent
                )
            except Exception as error:  # noqa: BLE001 - one item must not stop the run
                # Reported and recorded (asked again next run, when a folder may be fixed).
                self._record(Outcome(source.name, item.url, "failed", _unexpected(error)))

    def _known(self, source: Source, url: str, shown: str) -> bool:
        """Record the item (as `shown`, its URL as listed) and return True when content/ or
        an earlier run already has it (looked up by `url`, its canonical form)."""
        file = self.index.by_url.get(url)
        if file is not None and file in self.written:
            # The same story listed twice in this run (a tracking-parameter copy, say).
            self._record(Outcome(source.name, shown, "duplicate", f"duplicate of {file}", file))
            return True
        if file is not None:
            self._record(Outcome(source.name, shown, "unchanged", "already in content/", file))
            return True
        entry = self.seen.entries.get(url)
        if entry is None:
            return False
        status, earlier = entry["status"], entry.get("file") or None
        if status == "new" and earlier and (self.content_dir / earlier).is_file():
            self._record(Outcome(source.name, shown, "unchanged", "already in content/", earlier))
            return True
        if status == "duplicate" and earlier and (self.content_dir / earlier).is_file():
            self._record(Outcome(source.name, shown, "duplicate", entry["detail"], earlier))
            return True
        if status == "failed" and entry.get("permanent") is True:
            self._record(
                Outcome(source.name, shown, "failed", f"{entry['detail']} (earlier run)"), True
            )
            return True
        return False

    def _without_site_lines(self, extracted: Extracted, url: str) -> Extracted:
        """Without short lines the same site printed on two earlier pages of this run."""
        kept, dropped = self.site_lines.without_repeated(
            urlsplit(url).netloc, list(extracted.paragraphs)
        )
        if not dropped:
            return extracted
        note = (
            f"dropped {counted(len(dropped), 'line')} the site repeats on other pages: "
            f"{dropped[0]!r}"
        )
        return replace(extracted, paragraphs=tuple(kept), notes=(*extracted.notes, note))

    def _item(self, source: Source, item: Item) -> None:
        """Fetch one item (unless it is known), extract and vet its text, and write it."""
        url = canonical_url(item.url)
        if self._known(source, url, item.url):
            return
        try:
            check_url(url, source.allow_private, self.fetcher.resolve)
        except AddressRefused as error:
            self._record(Outcome(source.name, item.url, "failed", f"refused: {error}"), True)
            return
        if url in self.asked:
            self._record(Outcome(source.name, item.url, "duplicate", "the same URL as above"))
            return
        self.asked.add(url)
        fetched = self._text(source, item, url)
        if fetched is None:
            return
        # The feed's headline and author are the source's own words for its item; the page's
        # fill in what the feed leaves out.
        extracted = replace(
            fetched.extracted,
            title=_headline(item.title) or fetched.extracted.title,
            author=clean_text(item.author or "") or fetched.extracted.author,
        )
        reason = problem(extracted)
        if reason is not None:
            # Judged on its text, not a network accident: not asked for again next run.
            self._record(Outcome(source.name, item.url, "failed", f"not written: {reason}"), True)
            return
        text = "\n".join(extracted.paragraphs)
        duplicate = self.index.duplicate_of(text)
        if duplicate is not None:
            self._record(
                Outcome(source.name, item.url, "duplicate", f"duplicate of {duplicate}", duplicate)
            )
            return
        self._write(source, item, replace(fetched, extracted=extracted), text)

    def _text(self, source: Source, item: Item, url: str) -> _Fetched | None:
        """The item's text: the feed's full text, or its page fetched and extracted (None: the
        page's own address is already in content/, recorded as such)."""
        paragraphs = _feed_text(item)
        if paragraphs:
            extracted = Extracted(title=item.title, paragraphs=tuple(paragraphs))
            return _Fetched(extracted, "full text from the feed", url, url, None)
        # The canonical form: the same page, without the tracking the feed glued on.
        # Unconditional, and not kept in the cache: a page once written is never asked
        # for again (its URL is in content/), so its body would only fill the cache.
        response = self.fetcher.get(url, _policy(source), conditional=False)
        extracted = self._without_site_lines(extract(response.text(), response.url), url)
        page_url = canonical_url(response.url)
        if extracted.canonical_url and _same_site(extracted.canonical_url, response.url):
            page_url = canonical_url(extracted.canonical_url)
        file = self.index.by_url.get(page_url)
        if file is not None and file not in self.written:
            # The feed links to the story by another address (a redirector, a section
            # path); the page's own address is already in content/.
            self._record(Outcome(source.name, item.url, "unchanged", "already in content/", file))
            return None
        if file is not None:
            self._record(Outcome(source.name, item.url, "duplicate", f"duplicate of {file}", file))
            return None
        date_text = extracted.date or response.last_modified
        return _Fetched(extracted, "extracted from the page", url, page_url, date_text)

    def _dated(self, item: Item, date_text: str | None) -> tuple[datetime, str]:
        """The item's date, and what the report says about it ("" when it is as given)."""
        published = item.date or _parse_date(date_text, self.tz)
        if published is None:
            # No date anywhere (feed, page, Last-Modified): the day it was first fetched.
            published = datetime.combine(self.today, datetime.min.time(), self.tz)
            return (
                published,
                f"; no date on the page, dated {self.today.isoformat()} (the day fetched)",
            )
        if published > self.now:
            # A clock or time zone wrong at the source; the readers would warn (and the daily
            # --strict build stop) on a date in the future. The fetch time is the best guess.
            told = f"; its date {published.isoformat()} lies in the future, dated when fetched"
            return self.now.replace(microsecond=0), told
        return published, ""

    def _write(self, source: Source, item: Item, fetched: _Fetched, text: str) -> None:
        """Write the vetted item into content/ under a free name and headline, and record it."""
        extracted = fetched.extracted
        published, how = self._dated(item, fetched.date_text)
        how = fetched.how + how
        title = _headline(extracted.title) or ""
        namesake = self.titles.get(title.casefold())
        if namesake is not None:
            # "Morning briefing" every day: told apart by source and date, and said so.
            title = f"{title} ({source.name}, {published.date().isoformat()})"
            how += f"; headline also used by {namesake}, written as {title!r}"
        article = NewArticle(
            title=title,
            date=published,
            source=source.name,
            url=fetched.page_url,
            paragraphs=extracted.paragraphs,
            author=extracted.author,
            topics=source.topics,
            language=source.language,
        )
        path = target_path(self.content_dir, source.slug, file_stem(article), self.taken)
        relative = path.relative_to(self.content_dir.resolve()).as_posix()
        if not self.dry_run:
            write(path, render(article))
        self.taken.add(page_slug(*relative.rsplit(".", 1)[0].split("/", 1)))
        self.written.add(relative)
        self.titles.setdefault(title.casefold(), relative)
        self.index.add(relative, text, (fetched.url, fetched.page_url))
        words = sum(len(p.split()) for p in article.paragraphs)
        detail = f"{how}, {counted(words, 'word')}"
        self._record(Outcome(source.name, item.url, "new", detail, relative, extracted.notes))
