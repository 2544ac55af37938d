"""The Zensical build: a docs folder and a derived config in a staging folder, then Zensical."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from digest.config import DigestConfig
from digest.model import Digest
from digest.project import _TolerantLoader, plugin_options
from digest.site.build_steps import head_tags
from digest.site.output import add_reader_assets, insert_in_head, page_dest, site_nav
from digest.site.output import write_docs_folder as _write_docs_folder
from digest.site.search import BUNDLE, resolved_search, search_engine_tag, seed_shards
from digest.store.history import record_build
from digest.store.kept_pages import publish_files
from digest.store.markdown_pages import load_secret
from digest.store.outputs import record_path
from digest.store.publish import staged_site
from digest.store.sealed_files import seal_folder, verify_folder

# The release the digest is tested with (pyproject's `zensical` extra pins it): Zensical is young
# and changes its config and output between releases.
TESTED_VERSION = "0.0.73"
INSTALL_HINT = f'pip install "newsdigest[zensical]" (Zensical {TESTED_VERSION})'
# Zensical's converted pages, beside its config, and the HMACs vouching for them.
ZENSICAL_CACHE = ".cache"
CACHE_SEAL = "cache-seal.json"


class ZensicalError(Exception):
    """The Zensical build failed (its message says why)."""


class ZensicalMissing(ZensicalError):
    """Zensical is not installed."""


def _zensical() -> ModuleType:
    try:
        import zensical
    except ImportError:
        raise ZensicalMissing(
            f"the zensical engine needs Zensical, which is not installed: {INSTALL_HINT}"
        ) from None
    return zensical


def load_mkdocs_yml(config_file: Path) -> dict[str, Any]:
    """mkdocs.yml as Zensical reads it: its own loader resolves !ENV and INHERIT the same way.

    The loader is private to Zensical, so if a release drops it, the digest's tolerant loader
    reads the file instead (unknown tags become empty values)."""
    loader: Callable[[Any], Any] = partial(yaml.load, Loader=_TolerantLoader)  # a SafeLoader
    try:
        from zensical.config import _yaml_load

        loader = _yaml_load
    except ImportError:
        pass
    with config_file.open(encoding="utf-8") as handle:
        raw = loader(handle)
    if not isinstance(raw, dict):
        raise ZensicalError(f"{config_file}: expected a mapping of settings")
    return raw


def _without_digest(plugins: Any) -> Any:
    """The plugins setting minus the digest: its work is done before Zensical starts."""
    if isinstance(plugins, dict):
        return {name: value for name, value in plugins.items() if name != "digest"}
    if isinstance(plugins, list):
        return [
            item
            for item in plugins
            if item != "digest" and not (isinstance(item, dict) and "digest" in item)
        ]
    return plugins


def derived_config(
    raw: dict[str, Any],
    config: DigestConfig,
    config_file: Path,
    project_dir: Path,
    docs_dir: Path,
    site_dir: Path,
) -> dict[str, Any]:
    """The site's mkdocs.yml settings for a Zensical build of a written docs folder.

    Everything the plugin would add at build time is written out: the digest's navigation
    before the user's, the reader's stylesheet and script. Paths the user gave relative to
    mkdocs.yml are made absolute, since the derived config lives elsewhere.
    """
    base = config_file.resolve().parent
    derived = dict(raw)
    derived.pop("INHERIT", None)
    # MkDocs hooks are Python run by MkDocs' plugin system, which Zensical does not have.
    derived.pop("hooks", None)
    derived["docs_dir"] = os.path.relpath(docs_dir, project_dir)
    derived["site_dir"] = os.path.relpath(site_dir, project_dir)
    derived["nav"] = site_nav(config, raw.get("nav") or [])
    extra_css = list(raw.get("extra_css") or [])
    scripts = list(raw.get("extra_javascript") or [])
    add_reader_assets(extra_css, scripts)
    derived["extra_css"], derived["extra_javascript"] = extra_css, scripts
    derived["plugins"] = _without_digest(raw.get("plugins"))
    theme = raw.get("theme")
    if isinstance(theme, dict) and theme.get("custom_dir"):
        derived["theme"] = {**theme, "custom_dir": str(base / str(theme["custom_dir"]))}
    if "watch" in raw:
        derived["watch"] = [str(base / str(path)) for path in raw.get("watch") or []]
    return derived


@dataclass(frozen=True)
class _Built:
    """Zensical's output folder and the Markdown pages it was made from."""

    site: Path
    md_paths: list[str]
    use_directory_urls: bool


def build_site(
    config_file: Path,
    config: DigestConfig,
    analyse: Callable[[DigestConfig], Digest],
    *,
    strict: bool = False,
    site_dir: Path | None = None,
) -> Path:
    """Build the whole site with Zensical; the previous site stays until the new one is done.

    analyse makes the digest (the CLI passes its cached, progress-reporting pipeline). Raises
    ZensicalMissing, ZensicalError, and the pipeline's own errors (TemplateProblem, FeedError,
    DocsConflict).
    """
    zensical = _zensical()
    config = resolved_search(config)
    raw = load_mkdocs_yml(config_file)
    base = config_file.resolve().parent
    final = (site_dir or base / str(raw.get("site_dir") or "site")).resolve()
    digest = analyse(config)
    final.parent.mkdir(parents=True, exist_ok=True)
    options = plugin_options(raw) or {}
    # Zensical keeps converted pages in a .cache folder beside its config and reuses them by
    # content, not by file date: a project kept in the digest's cache folder makes a rebuild
    # convert only what changed (page_cache: false, or no cache folder: a fresh one each time).
    keep = config.cache_dir is not None and options.get("page_cache", True) is not False
    secret = load_secret() if keep else None
    if config.cache_dir is not None and keep:
        project = config.cache_dir / "zensical"
        project.mkdir(parents=True, exist_ok=True)
        # Zensical publishes its cached pages as they are: only those this machine's builds
        # wrote (their HMAC checks out) are left for it to reuse.
        verify_folder(project / ZENSICAL_CACHE, project / CACHE_SEAL, secret)
    else:
        project = Path(tempfile.mkdtemp(prefix=".digest-zensical-", dir=final.parent))
    # Zensical wants its docs and site folders inside the folder of its config. Its output is
    # copied into a staging folder beside the final site, finished there (feed links) and
    # published only when all went well (digest.store.publish: under a lock, with the clean-up
    # after a killed build); the project's own site folder stays as Zensical left it, for the
    # next build.
    try:
        with staged_site(final) as staging:
            built = _run_zensical(
                zensical, config, digest, raw, config_file, project, final, keep=keep, strict=strict
            )
            if keep:
                seal_folder(project / ZENSICAL_CACHE, project / CACHE_SEAL, secret)
            # Unchanged files are hard-linked from the live site, as a MkDocs build keeps them.
            record = record_path(config.cache_dir, final) if config.cache_dir and keep else None
            publish_files(_site_files(config, built), staging, final, record)
    finally:
        if not keep:
            shutil.rmtree(project, ignore_errors=True)
    return final


def _site_files(config: DigestConfig, built: _Built) -> Iterator[tuple[str, bytes]]:
    """Each file of Zensical's output as it is published: in every page's head, as the
    plugin's on_post_page adds them, the tag telling the reader's script to search articles
    through Pagefind and the feed autodiscovery links."""
    dirs = built.use_directory_urls
    tags_any = config.feeds or search_engine_tag(config)
    tagged = {page_dest(p, dirs): p for p in built.md_paths} if tags_any else {}
    for path in sorted(built.site.rglob("*")):
        if not path.is_file():
            continue
        dest = path.relative_to(built.site).as_posix()
        data = path.read_bytes()
        page = tagged.get(dest)
        if page is not None:
            # Read as text files are (universal newlines), the tags before </head>.
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            data = insert_in_head(text, head_tags(config, page, dirs)).encode("utf-8")
        yield dest, data


def _run_zensical(
    zensical: ModuleType,
    config: DigestConfig,
    digest: Digest,
    raw: dict[str, Any],
    config_file: Path,
    project: Path,
    final: Path,
    *,
    keep: bool,
    strict: bool,
) -> _Built:
    """Write the docs folder and derived config into the project folder, and run Zensical."""
    base = config_file.resolve().parent
    user_docs = base / str(raw.get("docs_dir") or "docs")
    use_directory_urls = bool(raw.get("use_directory_urls", True))
    docs, built = project / "docs", project / "site"
    # Written afresh: a removed article's page must not linger (Zensical then drops its
    # output page too). Unchanged pages keep their cached conversion, keyed by content.
    shutil.rmtree(docs, ignore_errors=True)
    if config.search == "pagefind":
        # The published site's search shards: only those whose articles changed are
        # indexed again, as `mkdocs build` does over its site folder.
        seed_shards(final / BUNDLE, docs / BUNDLE)
    written = _write_docs_folder(
        config,
        digest,
        record_build(digest, config.cache_dir),
        docs,
        use_directory_urls=use_directory_urls,
        user_docs=user_docs,
    )
    derived = derived_config(raw, config, config_file, project, docs, built)
    config_path = project / "mkdocs.yml"
    # yaml.dump (not safe_dump): a function Zensical's loader built from a
    # !!python/name tag (a custom fence's format) is written back as that tag.
    text = yaml.dump(derived, allow_unicode=True, sort_keys=False)
    config_path.write_text(text, encoding="utf-8")
    try:
        zensical.build(str(config_path), {"clean": not keep, "strict": strict})
    except SystemExit as error:  # its strict mode may end the process on a warning
        raise ZensicalError(f"Zensical stopped the build (exit {error.code})") from None
    except Exception as error:  # its ConfigurationError, errors from its Rust core
        raise ZensicalError(f"Zensical: {error}") from None
    if not (built / "index.html").is_file():
        raise ZensicalError("Zensical wrote no index.html")
    md_paths = [p.path for p in written.pages]
    md_paths += [p for p in written.user_files if p.endswith(".md")]
    return _Built(built, md_paths, use_directory_urls)
