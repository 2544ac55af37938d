"""Digest settings as plain Python, shared by the MkDocs plugin and the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from slugify import slugify

from digest.model import StorySettings, Topic

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
    # How articles about one event are grouped into a story (the `stories:` options).
    stories: StorySettings = StorySettings()
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
        raise ConfigError(f"stories: unknown option(s) {unknown} (known: threshold, window_days)")
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
    if values.get("topic_mode", "passages") not in TOPIC_MODES:
        raise ConfigError(
            f"topic_mode: expected one of {', '.join(TOPIC_MODES)}, not {values['topic_mode']!r}"
        )
    return DigestConfig(**values)
