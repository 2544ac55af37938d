"""Fingerprints of code and setup: what a kept result depends on besides its own inputs.

Every cache of the build (summaries, readings, Markdown pages, converted HTML, kept pages) keys
its entries by a hash that includes the code that made them and the versions of the libraries
that code runs: a changed summarizer, template engine or theme never serves a stale result.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from digest import __version__

# The digest package: module names below are paths inside it.
PACKAGE = Path(__file__).resolve().parents[1]
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_CODE_SUFFIXES = frozenset({".py", ".js", ".css", ".html", ".j2"})


def stable(value: Any) -> Any:
    """A JSON fallback for settings: functions by name, objects without memory addresses,
    sets in order (their order changes from one process to the next)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda item: json.dumps(item, default=stable, sort_keys=True))
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return _ADDRESS.sub("", repr(value))


def hash_json(value: Any) -> str:
    """A hash of a value as canonical JSON (settings objects through `stable`)."""
    text = json.dumps(value, default=stable, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def hash_texts(values: Sequence[str | None | Sequence[str]]) -> str:
    """A hash of texts, absent texts (None) and lists of texts, as fast as hashing their
    bytes (an analysis key through JSON took 25 µs an article, this 11): each value's shape and
    length go first, so that no two different lists hash alike, then the texts joined."""
    shape: list[Any] = []
    texts: list[str] = []
    for value in values:
        if value is None:
            shape.append(None)
        elif isinstance(value, str):
            shape.append(len(value))
            texts.append(value)
        else:
            shape.append([len(text) for text in value])
            texts.extend(value)
    digest = hashlib.sha256(json.dumps(shape, separators=(",", ":")).encode())
    digest.update("".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def package_version(package: str) -> str:
    """An installed distribution's version ("none" when it is not installed)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def fingerprint_of(packages: Iterable[str], modules: Iterable[str]) -> str:
    """The package version, the installed versions of `packages` and the source of our
    `modules` (paths inside the digest package): what a result of that code depends on."""
    digest = hashlib.sha256(__version__.encode())
    add_code(digest, packages, modules)
    return digest.hexdigest()


def add_code(digest: Any, packages: Iterable[str], modules: Iterable[str]) -> None:
    """Feed a hash the installed versions of `packages` and the source of our `modules`."""
    for package in packages:
        digest.update(f"\0{package}={package_version(package)}".encode())
    for name in modules:
        try:
            digest.update(b"\0" + (PACKAGE / name).read_bytes())
        except OSError:
            digest.update(f"\0{name} unreadable".encode())


@cache
def whole_package() -> str:
    """All our own code and packaged files: a change to any of them may change every page."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in _CODE_SUFFIXES:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def module_version(name: str) -> str:
    """A module's package version (from the module: reading every package's metadata to map
    modules to distributions costs a third of a second); for a local module, its source."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return f"{name}: not importable"
    version = getattr(module, "__version__", None)
    if not isinstance(version, str):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            source = Path(getattr(module, "__file__", None) or "")
            try:
                version = hashlib.sha256(source.read_bytes()).hexdigest()
            except OSError:
                version = "unknown"
    return f"{name}={version}"


def folder_fingerprint(folder: Path) -> list[Any]:
    """Each file of a folder (a custom_dir of theme overrides) by name, size and time."""
    found: list[Any] = [str(folder)]
    for path in sorted(folder.rglob("*")):
        try:
            info = path.stat()
        except OSError:
            continue
        found.append([path.relative_to(folder).as_posix(), info.st_size, info.st_mtime_ns])
    return found


def installed_folder_version(folder: str) -> str:
    """The version of the installed package a folder (a theme's) belongs to; for a folder
    outside any installed package, its files."""
    parts = Path(folder).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return module_version(parts[parts.index(marker) + 1])
    return json.dumps(folder_fingerprint(Path(folder)))


def markdown_setup(config: Any) -> str:
    """Everything besides a page's own text that its converted HTML depends on, from a
    MkDocs-shaped config (MkDocs' or ProperDocs'): extensions, their settings, URLs, checks."""
    extensions: list[Any] = []
    modules = {"mkdocs", "markdown"}
    for extension in config.markdown_extensions:
        if isinstance(extension, str):
            extensions.append(extension)
            modules.add(extension.split(".")[0])
        else:  # an Extension object another plugin added: its class and settings
            kind = type(extension)
            extensions.append([f"{kind.__module__}.{kind.__qualname__}", extension.getConfigs()])
            modules.add(kind.__module__.split(".")[0])
    return hash_json(
        [
            __version__,
            [module_version(name) for name in sorted(modules)],
            extensions,
            config.mdx_configs,
            config.use_directory_urls,
            config.validation,
        ]
    )


def site_setup(config: Any, nav: Any, markdown: str) -> str:
    """Everything a kept page's HTML shares with every other page: the Markdown setup, the
    config (theme and its options, extra, CSS and scripts, site name and URL...), each
    plugin's options and code version, the theme's templates, the navigation, our own code.

    When any of it changes, no page is kept.
    """
    # Where things are (not what pages show), and what is taken apart below.
    location = {"site_dir", "docs_dir", "config_file_path", "plugins", "dev_addr", "watch", "theme"}
    settings = {
        key: [str(item) for item in config[key]] if key == "extra_javascript" else config[key]
        for key in config
        if key not in location
    }
    plugins: list[Any] = []
    for name, plugin in config.plugins.items():
        kind = type(plugin)
        module = kind.__module__.split(".")[0]
        plugins.append([name, f"{kind.__module__}.{kind.__qualname__}", module_version(module)])
        plugins.append({key: plugin.config[key] for key in plugin.config})
    theme = config.theme
    custom = theme.custom_dir
    folders = [
        folder_fingerprint(Path(folder))
        if folder == custom
        else [folder, installed_folder_version(folder)]
        for folder in theme.dirs
    ]
    return hash_json(
        [
            __version__,
            whole_package(),
            markdown,
            settings,
            plugins,
            [theme.name, dict(theme), folders, theme.static_templates],
            _nav_outline(nav.items),
        ]
    )


def _nav_outline(items: Any) -> list[Any]:
    """The navigation as every page shows it: titles, URLs, and for a page whose title is not
    known yet (a user's page titled by its first heading), its source text."""
    outline: list[Any] = []
    for item in items:
        children = getattr(item, "children", None)
        file = getattr(item, "file", None)
        entry: list[Any] = [type(item).__name__, item.title, getattr(item, "url", None)]
        if file is not None and item.title is None:
            try:
                entry.append(hashlib.sha256(file.content_bytes).hexdigest())
            except OSError:
                entry.append("unreadable")
        if children:
            entry.append(_nav_outline(children))
        outline.append(entry)
    return outline


# Markdown link and image targets: (target) or (<target>), reference definitions, and HTML
# href/src values. Three patterns, each starting with something the regex engine can search
# for quickly: one alternation of all three was a tenth of a second per thousand pages.
_INLINE_LINK = re.compile(r"\]\(\s*(?:<([^>\n]+)>|([^)\s]+))")  # [text](target), (<target>)
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(?:<([^>\n]+)>|(\S+))", re.MULTILINE)
_HTML_LINK = re.compile(r"(?<!\w)(?:href|src)=[\"']([^\"']+)")


def link_targets(markdown: str) -> list[str]:
    """Every link and image target of a Markdown page (inline, reference, HTML)."""
    found = [group for m in _INLINE_LINK.finditer(markdown) for group in m.groups() if group]
    if "]:" in markdown:
        found += [group for m in _REFERENCE.finditer(markdown) for group in m.groups() if group]
    if "href=" in markdown or "src=" in markdown:
        found += [m.group(1) for m in _HTML_LINK.finditer(markdown)]
    return found


# A link to no page of the site: the page says so when converted (a warning to see again).
UNRESOLVED = "\0"


def resolved_links(
    markdown: str,
    src_uri: str,
    url_of: Callable[[str], str | None],
    memo: dict[tuple[str, str], str],
) -> list[str]:
    """Each relative link of a page with the URL its target has in this build, ending in
    UNRESOLVED where the target is no file of the site.

    url_of: a site file's URL from its path in the docs, None when there is none.
    memo: {(folder, target): resolved} for one build; pages in one folder share their links.
    """
    return resolved_targets(link_targets(markdown), src_uri, url_of, memo)


def resolved_targets(
    targets: Iterable[str],
    src_uri: str,
    url_of: Callable[[str], str | None],
    memo: dict[tuple[str, str], str],
) -> list[str]:
    """resolved_links of a page whose link targets (link_targets) are these."""
    folder = posixpath.dirname(src_uri)
    resolved = set()
    for target in targets:
        found = memo.get((folder, target))
        if found is None:
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path:
                found = ""
            else:
                path = posixpath.normpath(posixpath.join(folder, unquote(parts.path)))
                url = url_of(path.lstrip("/"))
                found = f"{target}\0{url if url is not None else UNRESOLVED}"
            memo[(folder, target)] = found
        if found:
            resolved.add(found)
    return sorted(resolved)
