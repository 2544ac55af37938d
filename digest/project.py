"""Read a site's mkdocs.yml for the CLI, without importing MkDocs.

mkdocs.yml may hold tags such as ``!ENV`` or ``!!python/name:...`` that only MkDocs resolves;
the digest's own options never need them, so unknown tags load as None (never as objects).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from digest.config import ConfigError, DigestConfig, config_from_mapping


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads unknown tags as None instead of failing or constructing objects."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> None:
    return None


_TolerantLoader.add_multi_constructor("!", _ignore_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def plugin_options(raw: Any, name: str = "digest") -> dict[str, Any] | None:
    """The options of plugin `name` from a mkdocs.yml `plugins:` list or mapping."""
    plugins = raw.get("plugins") if isinstance(raw, dict) else None
    if isinstance(plugins, dict):
        options = plugins.get(name, None if name not in plugins else {})
        return dict(options or {}) if name in plugins else None
    for item in plugins or []:
        if item == name:
            return {}
        if isinstance(item, dict) and name in item:
            return dict(item[name] or {})
    return None


# MkDocs' folders and their defaults: cache_dir may be inside neither.
_MKDOCS_FOLDERS = (("docs_dir", "docs"), ("site_dir", "site"))


def load_project(config_file: Path) -> DigestConfig:
    """The DigestConfig of the site described by config_file (an mkdocs.yml)."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{config_file}: no such file (pass --config-file)") from None
    try:
        raw = yaml.load(text, Loader=_TolerantLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(f"{config_file}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_file}: expected a mapping of settings")
    options = plugin_options(raw)
    if options is None:
        raise ConfigError(f"{config_file}: the `digest` plugin is not listed under plugins:")
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    site = {
        "site_name": raw.get("site_name") or DigestConfig.site_name,
        "site_url": raw.get("site_url") or None,
        "site_description": raw.get("site_description") or "",
        "language": (theme or {}).get("language") or DigestConfig.language,
    }
    base = config_file.resolve().parent
    docs_dir, site_dir = (raw.get(key) or default for key, default in _MKDOCS_FOLDERS)
    try:
        return config_from_mapping(
            options,
            base,
            docs_dir=base / docs_dir if isinstance(docs_dir, str) else None,
            site_dir=base / site_dir if isinstance(site_dir, str) else None,
            **site,
        )
    except ConfigError as error:
        raise ConfigError(f"{config_file}: digest plugin: {error}") from None
