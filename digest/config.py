"""Digest settings as plain Python, shared by the MkDocs plugin and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from slugify import slugify

from digest.model import Topic

DEFAULT_TOPICS: tuple[Topic, ...] = ()
TOPIC_MODES = ("passages", "sections")


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
        raise ConfigError(f"{where}: topic {name!r} has unknown option(s) {sorted(unknown)}")
    slug = raw.get("slug") or slugify(name)
    if not isinstance(slug, str) or slugify(slug) != slug or not slug:
        raise ConfigError(f"{where}: topic {name!r} has an invalid slug {slug!r}")
    keywords = _string_tuple(raw.get("keywords", ()), f"{where}: topic {name!r} keywords")
    exclude = _string_tuple(raw.get("exclude", ()), f"{where}: topic {name!r} exclude")
    context = _string_tuple(raw.get("context", ()), f"{where}: topic {name!r} context")
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise ConfigError(f"{where}: topic {name!r} description must be text")
    return Topic(
        name=name.strip(),
        slug=slug,
        description=description.strip(),
        keywords=keywords or (name.strip(),),
        exclude=exclude,
        context=context,
    )


def topics_from_list(raw: Any) -> tuple[Topic, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)):
        raise ConfigError("topics: expected a list of topics")
    topics = tuple(topic_from_mapping(item, f"topics[{i}]") for i, item in enumerate(raw))
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


_PATH_OPTIONS = {"content_dir", "templates_dir", "cache_dir"}


def config_from_mapping(
    options: Mapping[str, Any], base_dir: Path, **overrides: Any
) -> DigestConfig:
    """Plugin options (as in mkdocs.yml) as a DigestConfig; relative paths from base_dir."""
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
_SOURCE_OPTIONS = frozenset(
    {*SOURCE_KINDS, "name", "slug", "topics", "max_items", "include", "exclude"}
    | {"allow_private", "delay", "timeout", "max_bytes"}
)


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
    # Newest items taken per run; None: every item of a feed or list of URLs (a publisher's
    # feed is already bounded), the newest SITEMAP_ITEMS of a sitemap (which can list 50,000).
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


def _http_url(value: Any, where: str) -> str:
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected an http(s) address, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: {value!r} is not an http(s) address")
    return value.strip()


def _number(raw: Mapping[str, Any], key: str, default: float | None, where: str, kind: type) -> Any:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: '{key}' must be a number, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise ConfigError(f"{where}: '{key}' must be a whole number, got {value!r}")
    if value < 0 or (key != "delay" and value == 0):
        raise ConfigError(f"{where}: '{key}' must be positive, got {value!r}")
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
        raise ConfigError(f"{where}: unknown option(s) {unknown}")
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
    )


def sources_from_list(raw: Any) -> tuple[Source, ...]:
    """The `sources:` option; two sources may not share a name or a folder."""
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)):
        raise ConfigError("sources: expected a list of sources")
    sources = tuple(source_from_mapping(item, f"sources[{i}]") for i, item in enumerate(raw))
    for key in ("name", "slug"):
        seen: set[str] = set()
        for source in sources:
            value = getattr(source, key).casefold()
            if value in seen:
                raise ConfigError(f"sources: two sources share the {key} {value!r}")
            seen.add(value)
    return sources
