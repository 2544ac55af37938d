"""Digest settings as plain Python, shared by the MkDocs plugin and the CLI."""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slugify import slugify

from digest.model import MAX_SLUG_CHARS, StorySettings, Topic
from digest.wording import noun

T = TypeVar("T")
DEFAULT_TOPICS: tuple[Topic, ...] = ()
# The sumy algorithms the `summarizer` option accepts by name (digest.analysis.summarizers
# makes them).
SUMY_ALGORITHMS: tuple[str, ...] = (
    "lexrank",
    "textrank",
    "lsa",
    "luhn",
    "edmundson",
    "sumbasic",
    "klsum",
    "reduction",
)
TOPIC_MODES = ("passages", "sections")
# `search`: "pagefind" (an index fetched in fragments per query, digest/site/search.py),
# "material" (the theme's search plugin alone: one file with every page's text), or "auto"
# (the default: Material's for a small content folder, Pagefind past it; see
# digest.site.search.resolved_search).
SEARCH_ENGINES = ("auto", "pagefind", "material")


class ConfigError(ValueError):
    """The digest configuration is invalid; the message says which option and why."""


@dataclass(frozen=True)
class DigestConfig:
    """Everything the pipeline and writers need to know; defaults match the plugin's schema."""

    content_dir: Path = Path("content")
    templates_dir: Path | None = Path("site_templates")
    topics: tuple[Topic, ...] = DEFAULT_TOPICS
    timezone: str = "UTC"
    summarizer: str = "digest"
    summary_sentences: int = 3
    summary_words: int | None = None
    topic_summary_sentences: int = 2
    # Share of an article's sentences that must be about a topic for it to join the topic
    # (a topic also needs two keyword matches unless the article is a brief of four sentences).
    topic_threshold: float = 0.1
    # "passages": an article joins every topic enough of it is about; "sections": each article
    # joins its one best topic, learned from the whole corpus (like a newspaper's sections).
    topic_mode: str = "passages"
    # How many candidate topics the Other page suggests (0: none).
    topic_suggestions: int = 5
    site_name: str = "News digest"
    site_url: str | None = None
    site_description: str = ""
    language: str = "en"
    # RSS/Atom/JSON feeds, OPML, the Subscribe page and autodiscovery links (need site_url).
    feeds: bool = True
    feed_items: int = 50
    page_size: int = 50
    home_items_per_topic: int = 5
    cache_dir: Path | None = Path(".digest-cache")
    workers: int = 0  # 0: one per core
    include_drafts: bool = False
    # Regular expressions for the user's own page furniture (a paragraph or sentence one matches
    # is set apart like a caption: shown muted, left out of summaries and topics).
    boilerplate: tuple[str, ...] = ()
    # Where `digest fetch` finds articles (see Source below); the build never reads them.
    sources: tuple[Source, ...] = ()
    # How articles about one event are grouped into a story (the `stories:` options).
    stories: StorySettings = StorySettings()
    # Which search finds articles (see SEARCH_ENGINES).
    search: str = "auto"
    # Pages are generated under this folder of the docs (e.g. "" for the site root).
    output_prefix: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def topic_by_key(self, key: str) -> Topic | None:
        """Find a topic by its name or slug, case-insensitively."""
        wanted = key.strip().casefold()
        for topic in self.topics:
            if wanted in (topic.name.casefold(), topic.slug.casefold()):
                return topic
        if slugify(key) in {t.slug for t in self.topics}:
            return next(t for t in self.topics if t.slug == slugify(key))
        return None


def topic_from_mapping(raw: Any, where: str = "topics") -> Topic:
    """Build a Topic from a config mapping: name, and optional slug, description, keywords,
    exclude and context (words showing the keywords are meant in the topic's sense)."""
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: each topic must be a mapping with a name, got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: a topic needs a non-empty 'name'")
    unknown = set(raw) - {"name", "slug", "description", "keywords", "exclude", "context"}
    if unknown:
        options = noun(len(unknown), "option")
        raise ConfigError(f"{where}: topic {name!r} has unknown {options} {sorted(unknown)}")
    slug = raw.get("slug") or slugify(name)
    if not isinstance(slug, str) or slugify(slug) != slug or not slug:
        raise ConfigError(f"{where}: topic {name!r} has an invalid slug {slug!r}")
    if len(slug) > MAX_SLUG_CHARS:
        # The slug is a folder name in the site (file systems refuse names over 255 bytes).
        raise ConfigError(
            f"{where}: topic {name!r} has a slug of {len(slug)} characters; the limit is "
            f"{MAX_SLUG_CHARS} (set a shorter 'slug')"
        )
    keywords = _topic_keywords(raw, name.strip(), where)
    exclude = _string_tuple(raw.get("exclude", ()), f"{where}: topic {name!r} exclude")
    context = _string_tuple(raw.get("context", ()), f"{where}: topic {name!r} context")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise ConfigError(f"{where}: topic {name!r} description must be text")
    return Topic(
        name=name.strip(),
        slug=slug,
        description=description.strip(),
        keywords=keywords,
        exclude=exclude,
        context=context,
    )


def _topic_keywords(raw: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    """A topic's keywords (its name when `keywords` is left out), each one that can match.

    A topic no article could join properly is an error, not an empty page: `keywords` given
    but empty (`[]`, null, blank strings), or a keyword with no word in it ("--") or only
    words nearly every article has ("the")."""
    if "keywords" not in raw:
        keywords: tuple[str, ...] = (name,)
        label = f"{where}: topic {name!r} (no `keywords`, so its name is its keyword)"
        remedy = "list the words that signal it under `keywords`"
    else:
        given = raw["keywords"]
        label = f"{where}: topic {name!r}"
        remedy = "remove it"
        keywords = _string_tuple([] if given is None else given, f"{label} keywords")
        if not keywords:
            raise ConfigError(
                f"{label} has no keywords, so no article can join it: list the words that "
                "signal it under `keywords` (or leave `keywords` out to match the topic's name)"
            )
        if isinstance(given, (list, tuple)) and len(keywords) < len(given):
            raise ConfigError(f"{label} has an empty keyword, which never matches; remove it")
    for keyword in keywords:
        if not _WORD.search(keyword):
            raise ConfigError(
                f"{label}: keyword {keyword!r} has no letter or digit, so it never matches; "
                f"{remedy}"
            )
        # Word by word as written ("U.S." is one word of two letters, not two of one).
        letters = ["".join(_WORD.findall(w)).casefold() for w in keyword.split()]
        if all(w in _FUNCTION_WORDS or len(w) < 2 for w in letters):
            raise ConfigError(
                f"{label}: keyword {keyword!r} is a word nearly every article has, so every "
                f"article would join the topic; {remedy}"
            )
    return keywords


def _each(raw: Any, option: str, make: Callable[[Any, str], T]) -> tuple[T, ...]:
    """Each item of a list option (`topics`, `sources`), made by `make`, which names the item
    (`topics[2]`) in its error."""
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)):
        raise ConfigError(f"{option}: expected a list of {option}")
    return tuple(make(item, f"{option}[{i}]") for i, item in enumerate(raw))


def topics_from_list(raw: Any) -> tuple[Topic, ...]:
    topics = _each(raw, "topics", topic_from_mapping)
    seen: set[str] = set()
    for topic in topics:
        if topic.slug in seen:
            raise ConfigError(f"topics: two topics share the slug {topic.slug!r}")
        seen.add(topic.slug)
    if any(t.slug == "other" for t in topics):
        raise ConfigError("topics: the slug 'other' is reserved for articles that fit no topic")
    return topics


def _string_tuple(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f"{where}: expected a list of words or phrases")
    return tuple(x.strip() for x in raw if x.strip())


def boilerplate_patterns(raw: Any) -> tuple[str, ...]:
    """The `boilerplate` option: a list of regular expressions, each checked here."""
    if raw is None:
        return ()
    patterns = _string_tuple(raw, "boilerplate")
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigError(
                f"boilerplate[{index}]: {pattern!r} is not a regular expression ({error})"
            ) from None
    return patterns


def story_settings(raw: Any) -> StorySettings:
    """The `stories` option: `threshold` (0 to 1) and `window_days` (more than 0)."""
    if raw is None:
        return StorySettings()
    if isinstance(raw, StorySettings):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError(f"stories: expected a mapping of options, got {raw!r}")
    unknown = sorted(set(raw) - {"threshold", "window_days"})
    if unknown:
        options = noun(len(unknown), "option")
        raise ConfigError(f"stories: unknown {options} {unknown} (known: threshold, window_days)")
    values: dict[str, float] = {}
    for key in ("threshold", "window_days"):
        value = raw.get(key)
        if value is None:
            continue
        # YAML reads `yes`/`no` as booleans, which are ints to Python.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"stories.{key}: expected a number, not {value!r}")
        values[key] = float(value)
    threshold = values.get("threshold", StorySettings.threshold)
    if not 0 < threshold <= 1:
        raise ConfigError(
            f"stories.threshold: expected a likeness above 0 and at most 1, not {threshold:g}"
        )
    window = values.get("window_days", StorySettings.window_days)
    if not 0 < window <= 3660:
        raise ConfigError(
            f"stories.window_days: expected a number of days above 0 (at most 3660), not {window:g}"
        )
    return StorySettings(threshold=threshold, window_days=window)


# Keywords made only of these (or of single letters) match nearly every article (the topic
# matcher's phrase stop words among them: digest.analysis.topics._PHRASE_STOPWORDS).
_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "but", "by", "with"}
    | {"from", "as", "is", "are", "was", "be", "it", "its", "this", "that", "he", "she"}
    | {"they", "we", "you", "i", "not", "no", "into", "over", "about", "against", "their"}
)
# A word as the topic matcher reads one (letters or digits in any script).
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# More summarizing processes than this only costs memory: the work is bound by the cores.
MAX_WORKERS = 256


@dataclass(frozen=True)
class Option:
    """One option of the digest plugin in mkdocs.yml: the MkDocs schema, the checks below and
    the documentation all come from OPTIONS.

    kind: folder, count (a whole number from `least`), flag, text, share (0 to 1), or list /
    mapping (checked by their own readers); default: as mkdocs.yml would write it (None: the
    option may be left out)."""

    name: str
    kind: str
    default: Any
    help: str
    least: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "help", " ".join(self.help.split()))


OPTIONS: tuple[Option, ...] = (
    Option(
        "content_dir",
        "folder",
        "content",
        "Folder of articles (.txt and .md), relative to mkdocs.yml.",
    ),
    Option(
        "templates_dir",
        "folder",
        "site_templates",
        "Folder whose Jinja2 templates override the built-in ones of the same name.",
    ),
    Option(
        "topics",
        "list",
        [],
        """The topics that group the digest; an article can be in several. Each has a `name`,
        and optionally `slug`, `description`, `keywords`, `exclude` (phrases in which a
        topic word means something else, e.g. `interfering in Venezuela`) and `context` (the
        topic's vocabulary: a lone keyword counts only with some of these, e.g. `Russia`,
        `FBI`).""",
    ),
    Option(
        "topic_threshold",
        "share",
        0.1,
        "Share of an article's sentences that must be about a topic for it to join the topic.",
    ),
    Option(
        "topic_mode",
        "text",
        "passages",
        """`passages`: an article joins every topic enough of it is about; `sections`: each
        article joins its one best topic, learned from the corpus (like a newspaper's
        sections).""",
    ),
    Option(
        "topic_suggestions",
        "count",
        5,
        """How many candidate topics the Other page suggests from the articles it lists (0:
        none).""",
    ),
    Option(
        "timezone",
        "text",
        "UTC",
        "IANA time zone for dates written without one (e.g. `Europe/Berlin`).",
    ),
    Option(
        "summarizer",
        "text",
        "digest",
        """`digest` (default), `lead`, or a sumy algorithm: lexrank, textrank, lsa, luhn,
        edmundson, sumbasic, klsum, reduction.""",
    ),
    Option(
        "summary_sentences",
        "count",
        3,
        "Sentences in an article's summary.",
        least=1,
    ),
    Option(
        "summary_words",
        "count",
        None,
        "A word budget for the summary instead of a sentence count.",
        least=1,
    ),
    Option(
        "topic_summary_sentences",
        "count",
        2,
        """Sentences in an article's summary on a topic page (drawn from the part about the
        topic).""",
        least=1,
    ),
    Option(
        "feeds",
        "flag",
        True,
        """Write RSS, Atom and JSON feeds (whole digest and per topic), OPML and a Subscribe
        page. Needs `site_url`, since every link in a feed is absolute.""",
    ),
    Option(
        "feed_items",
        "count",
        50,
        "Number of newest articles in each feed.",
        least=1,
    ),
    Option(
        "page_size",
        "count",
        50,
        "Stories per topic page before the next page starts.",
        least=1,
    ),
    Option(
        "home_items_per_topic",
        "count",
        5,
        "Stories per topic on the home page.",
    ),
    Option(
        "cache_dir",
        "folder",
        None,
        "Where summaries are cached between builds, relative to mkdocs.yml (`.digest-cache`).",
    ),
    Option(
        "workers",
        "count",
        0,
        "Processes that summarize in parallel; 0 means one per core.",
    ),
    Option(
        "progress",
        "flag",
        False,
        """Show a progress bar while summarizing many articles (also with `DIGEST_PROGRESS=1`;
        `digest build` always shows one).""",
    ),
    Option(
        "include_drafts",
        "flag",
        False,
        "Publish articles whose front matter says `draft: true`.",
    ),
    Option(
        "boilerplate",
        "list",
        [],
        """Regular expressions for page furniture of your sources ("^Subscribe to"): a
        paragraph or sentence one matches is shown muted and left out of summaries and
        topics.""",
    ),
    Option(
        "sources",
        "list",
        [],
        """Feeds, sitemaps and pages `digest fetch` writes articles from (the build never
        fetches): each has a `name` and one of `feed`, `sitemap` or `urls`, and optionally
        `slug`, `topics`, `max_items`, `include`, `exclude`, `allow_private`, `delay`,
        `timeout` and `max_bytes`.""",
    ),
    Option(
        "stories",
        "mapping",
        {},
        """How articles about the same event, from several outlets, are grouped into stories:
        `threshold` (least likeness, 0 to 1, for an article to join a story; higher splits
        more) and `window_days` (an article joins only stories with an article this many
        days before).""",
    ),
    Option(
        "page_cache",
        "flag",
        True,
        """Keep the generated pages' converted HTML in the cache folder: a rebuild converts
        only the pages whose Markdown, links or Markdown setup changed, and leaves the pages
        that cannot have changed in the site folder as they are (not rendered, not written).""",
    ),
    Option(
        "search",
        "text",
        "auto",
        """`pagefind`: articles are searched through a Pagefind index the reader fetches in
        small parts per query, written into the site's pagefind/ folder; `material`: the
        theme's search plugin alone (one file with every page's text, downloaded on the
        first visit); `auto` (default): `material` while the content folder holds under 100
        KB of articles (about 20 of 800 words), where its one small file gives the first
        result sooner, `pagefind` from there on (and with it the results' topic and month
        menus).""",
    ),
)
# The plugin's options as mkdocs.yml names them (digest.mkdocs.plugin's schema is made of them).
PLUGIN_OPTIONS = frozenset(option.name for option in OPTIONS)
_PATH_OPTIONS = {o.name for o in OPTIONS if o.kind == "folder"}
_COUNTS = tuple((o.name, o.least) for o in OPTIONS if o.kind == "count")
_FLAGS = tuple(o.name for o in OPTIONS if o.kind == "flag")
_TEXTS = tuple(o.name for o in OPTIONS if o.kind == "text")


def check_option_names(values: Mapping[str, Any]) -> None:
    """Every option is one of the plugin's; else ConfigError with the name it resembles."""
    unknown = sorted(str(key) for key in values if key not in PLUGIN_OPTIONS)
    if unknown:
        # A misspelt option would otherwise be ignored and its default used without a word.
        close = difflib.get_close_matches(unknown[0], sorted(PLUGIN_OPTIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{unknown[0]}: not an option of the digest plugin{hint}")


def _check_values(values: Mapping[str, Any]) -> None:
    """Each option's name, type and range; ConfigError names the option and the value."""
    check_option_names(values)
    for key in _PATH_OPTIONS:
        value = values.get(key)
        if key in values and not (
            isinstance(value, str) or (value is None and key != "content_dir")
        ):
            raise ConfigError(f"{key}: expected a folder name, not {value!r}")
        if isinstance(value, str) and ("\0" in value or not value.strip()):
            # No file system takes a NUL in a name (Python raises ValueError on it).
            raise ConfigError(f"{key}: {value!r} is not a usable folder name")
    for key, least in _COUNTS:
        value = values.get(key)
        if value is None and key == "summary_words":
            continue
        if key not in values:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected a whole number, not {value!r}")
        if value < least:
            raise ConfigError(f"{key}: must be {least} or more, not {value}")
    workers = values.get("workers", 0)
    if workers > MAX_WORKERS:
        raise ConfigError(
            f"workers: {workers} is more than {MAX_WORKERS}; summarizing is bound by the cores, "
            "so use 0 (one per core) or the number of cores"
        )
    for key in _FLAGS:
        if key in values and not isinstance(values[key], bool):
            raise ConfigError(f"{key}: expected true or false, not {values[key]!r}")
    for key in _TEXTS:
        if key in values and not isinstance(values[key], str):
            raise ConfigError(f"{key}: expected text, not {values[key]!r}")
    if "topic_threshold" in values:
        threshold = values["topic_threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ConfigError(f"topic_threshold: expected a number from 0 to 1, not {threshold!r}")
        if not 0 <= threshold <= 1:  # also false for NaN
            raise ConfigError(
                f"topic_threshold: a share of an article's sentences, from 0 to 1, not {threshold}"
            )
    if "summarizer" in values:
        # As make_summarizer reads the name (it runs only once an article needs summarizing).
        key = values["summarizer"].strip().lower().replace("-", "").replace("_", "")
        if key not in ("digest", "lead", *SUMY_ALGORITHMS):
            known = ", ".join(("digest", "lead", *SUMY_ALGORITHMS))
            raise ConfigError(
                f"summarizer: unknown summarizer {values['summarizer']!r}; choose one of {known}"
            )
    if "search" in values and values["search"] not in SEARCH_ENGINES:
        raise ConfigError(
            f"search: expected one of {', '.join(SEARCH_ENGINES)}, not {values['search']!r}"
        )
    if "timezone" in values:
        try:
            resolve_timezone(values["timezone"])
        except ValueError as error:
            raise ConfigError(f"timezone: {error}") from None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _check_cache_dir(values: Mapping[str, Any], folders: Mapping[str, Path | None]) -> None:
    """The cache folder holds untrusted, rewritten files: never where they would be published,
    wiped, read as articles, or spread over other folders."""
    cache = values.get("cache_dir")
    if cache is None:
        return
    cache = Path(os.path.abspath(cache))
    if cache == Path(cache.anchor):
        raise ConfigError(f"cache_dir: {cache} is the file-system root; use a folder of its own")
    for name, folder in folders.items():
        if folder is None:
            continue
        folder = Path(os.path.abspath(folder))
        if _inside(cache, folder):
            why = {
                "docs_dir": "its files would be published with the site",
                "site_dir": "every build would wipe it",
                "content_dir": "its files would be read as articles",
                "templates_dir": "its files would be read as templates",
            }[name]
            raise ConfigError(f"cache_dir: {cache} is inside {name} ({folder}); {why}")
        if _inside(folder, cache):
            raise ConfigError(
                f"cache_dir: {cache} holds {name} ({folder}); use a folder of its own"
            )


def check_source_date_epoch() -> None:
    """SOURCE_DATE_EPOCH, when set, must be seconds MkDocs and gzip can use (0 to 2**32 - 1):
    MkDocs stops with a traceback on any other value."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return
    try:
        seconds = int(value.strip())
    except ValueError:
        seconds = -1
    if not 0 <= seconds < 2**32:
        raise ConfigError(
            f"SOURCE_DATE_EPOCH={value!r} is not a Unix time in seconds from 0 to {2**32 - 1} "
            "(unset it, or set the build time as seconds since 1970)"
        )


def config_from_mapping(
    options: Mapping[str, Any],
    base_dir: Path,
    *,
    docs_dir: Path | None = None,
    site_dir: Path | None = None,
    **overrides: Any,
) -> DigestConfig:
    """Plugin options (as in mkdocs.yml) as a DigestConfig; relative paths from base_dir.

    Every option is checked here, for `mkdocs build` and the `digest` commands alike: a bad
    value is a ConfigError naming the option. docs_dir and site_dir (MkDocs' own options)
    are only used to check that cache_dir is not inside them.
    """
    check_source_date_epoch()
    _check_values(options)
    known = {f.name for f in fields(DigestConfig)}
    values: dict[str, Any] = {}
    for key, value in {**options, **overrides}.items():
        if key not in known:
            continue
        if key == "topics":
            value = topics_from_list(value)
        elif key == "boilerplate":
            value = boilerplate_patterns(value)
        elif key == "sources":
            value = sources_from_list(value)
        elif key == "stories":
            value = story_settings(value)
        elif key in _PATH_OPTIONS and value is not None:
            value = Path(value)
            if not value.is_absolute():
                value = base_dir / value
        values[key] = value
    # Defaults are relative to mkdocs.yml too, not to wherever the command was run.
    for key in _PATH_OPTIONS - set(values):
        default = getattr(DigestConfig, key)
        if default is not None:
            values[key] = base_dir / default
    _check_cache_dir(
        values,
        {
            "docs_dir": docs_dir,
            "site_dir": site_dir,
            "content_dir": values.get("content_dir"),
            "templates_dir": values.get("templates_dir"),
        },
    )
    if values.get("topic_mode", "passages") not in TOPIC_MODES:
        raise ConfigError(
            f"topic_mode: expected one of {', '.join(TOPIC_MODES)}, not {values['topic_mode']!r}"
        )
    config = DigestConfig(**values)
    for number, source in enumerate(config.sources):
        for topic in source.topics:
            if config.topic_by_key(topic) is None:
                raise ConfigError(
                    f"sources[{number}] ({source.name}): topic {topic!r} is not one of `topics:`"
                )
    return config


# --- sources: what `digest fetch` reads (the build never does) ---------------------------------

SOURCE_KINDS = ("feed", "sitemap", "urls")
# Items taken from a sitemap per run unless the source sets max_items.
SITEMAP_ITEMS = 200
# Items taken from a feed per run unless the source sets max_items: more than any publisher's
# feed lists (they carry 10 to 100), few enough that a feed of 100,000 entries costs minutes,
# not a day of requests.
FEED_ITEMS = 100
_SOURCE_OPTIONS = frozenset(
    {*SOURCE_KINDS, "name", "slug", "topics", "max_items", "include", "exclude", "language"}
    | {"allow_private", "delay", "timeout", "max_bytes"}
)


# Beyond these a value is a typo, not a wish: a delay of a day between requests, a timeout of
# hours (seconds).
_SOURCE_MAXIMA = {"delay": 3600.0, "timeout": 3600.0}


@dataclass(frozen=True)
class Source:
    """One entry under `sources:`: where `digest fetch` finds articles, and how it may ask."""

    name: str
    # Folder under content/ (slugified, never a path).
    slug: str
    # "feed" (RSS, Atom or JSON Feed), "sitemap" (a sitemap or sitemap index) or "urls".
    kind: str
    # The feed's or sitemap's address, or the pages' addresses for kind "urls".
    urls: tuple[str, ...]
    topics: tuple[str, ...] = ()
    # Newest items taken per run; None: the newest FEED_ITEMS of a feed, SITEMAP_ITEMS of a
    # sitemap (which can list 50,000), every page of a list of URLs.
    max_items: int | None = None
    # Regular expressions searched in each item's URL.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # Private, loopback and link-local addresses are refused unless this is set.
    allow_private: bool = False
    # Seconds between two requests to the same host.
    delay: float = 1.0
    # Connect and read timeout, seconds.
    timeout: float = 10.0
    # Largest response read; a bigger one is reported and dropped.
    max_bytes: int = 5_000_000
    # ISO 639-1 code written into each fetched article's front matter ("" : detected at build).
    language: str = ""


def _http_url(value: Any, where: str) -> str:
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected an http(s) address, got {value!r}")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - ValueError for a port out of range (0 to 65535)
    except ValueError as error:  # "Invalid IPv6 URL" for http://[::1, "Port out of range"
        raise ConfigError(f"{where}: {value!r} is not a usable address ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: {value!r} is not an http(s) address")
    if any(ord(c) < 0x21 or c == "\x7f" for c in value.strip()):
        raise ConfigError(f"{where}: {value!r} holds spaces or control characters")
    return value.strip()


def _number(raw: Mapping[str, Any], key: str, default: float | None, where: str, kind: type) -> Any:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: '{key}' must be a number, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise ConfigError(f"{where}: '{key}' must be a whole number, got {value!r}")
    if not math.isfinite(value):  # YAML's .nan and .inf are floats
        raise ConfigError(f"{where}: '{key}' must be a finite number, got {value!r}")
    if value < 0 or (key != "delay" and value == 0):
        raise ConfigError(f"{where}: '{key}' must be positive, got {value!r}")
    most = _SOURCE_MAXIMA.get(key)
    if most is not None and value > most:
        raise ConfigError(f"{where}: '{key}' must be at most {most:g}, got {value!r}")
    return kind(value)


def source_from_mapping(raw: Any, where: str) -> Source:
    """One `sources:` entry, checked: a name and exactly one of feed, sitemap or urls."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: each source must be a mapping with a name, got {raw!r}")
    raw = {k: v for k, v in raw.items() if v is not None}  # MkDocs fills unset options with None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: a source needs a non-empty 'name'")
    where = f"{where} ({name.strip()})"
    unknown = sorted(str(k) for k in set(raw) - _SOURCE_OPTIONS)
    if unknown:
        raise ConfigError(f"{where}: unknown {noun(len(unknown), 'option')} {unknown}")
    kinds = [k for k in SOURCE_KINDS if raw.get(k) not in (None, [], "")]
    if len(kinds) != 1:
        raise ConfigError(f"{where}: set exactly one of 'feed', 'sitemap' or 'urls'")
    kind = kinds[0]
    if kind == "urls":
        values = raw["urls"] if isinstance(raw["urls"], (list, tuple)) else [raw["urls"]]
        urls = tuple(_http_url(u, f"{where}: urls[{i}]") for i, u in enumerate(values))
    else:
        urls = (_http_url(raw[kind], f"{where}: {kind}"),)
    slug = slugify(str(raw.get("slug") or name))[:60].strip("-")
    if not slug:
        raise ConfigError(f"{where}: the name gives no usable folder name; set 'slug'")
    patterns = {}
    for key in ("include", "exclude"):
        patterns[key] = _string_tuple(raw.get(key, ()), f"{where}: {key}")
        for pattern in patterns[key]:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(
                    f"{where}: {key} {pattern!r} is not a regular expression ({error})"
                ) from None
    language = ""
    if raw.get("language") not in (None, ""):
        from digest.language import language_tag

        language = language_tag(raw["language"]) or ""
        if not language:
            raise ConfigError(
                f"{where}: 'language' must be a language tag like es, fa or pt-BR, "
                f"got {raw['language']!r}"
            )
    allow_private = raw.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}: 'allow_private' must be true or false")
    return Source(
        name=name.strip(),
        slug=slug,
        kind=kind,
        urls=urls,
        topics=_string_tuple(raw.get("topics", ()), f"{where}: topics"),
        max_items=_number(raw, "max_items", None, where, int),
        include=patterns["include"],
        exclude=patterns["exclude"],
        allow_private=allow_private,
        delay=_number(raw, "delay", Source.delay, where, float),
        timeout=_number(raw, "timeout", Source.timeout, where, float),
        max_bytes=_number(raw, "max_bytes", Source.max_bytes, where, int),
        language=language,
    )


def sources_from_list(raw: Any) -> tuple[Source, ...]:
    """The `sources:` option; two sources may not share a name or a folder."""
    sources = _each(raw, "sources", source_from_mapping)
    for key in ("name", "slug"):
        seen: set[str] = set()
        for source in sources:
            value = getattr(source, key).casefold()
            if value in seen:
                raise ConfigError(f"sources: two sources share the {key} {value!r}")
            seen.add(value)
    return sources


def source_date_epoch() -> datetime | None:
    """The build time reproducible builds ask for, if SOURCE_DATE_EPOCH is set."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"SOURCE_DATE_EPOCH={value!r} is not a Unix time in seconds") from None


def resolve_timezone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)"
        ) from None
