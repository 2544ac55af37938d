"""Heading ids that never clash with the ids a theme or a script looks up, for any engine that
converts Markdown with Python-Markdown's toc extension."""

from __future__ import annotations

from typing import Any

from digest.store.fingerprint import stable
from digest.store.page_cache import is_reserved_id


class SafeSlugify:
    """A heading-id maker that never returns an id the theme or a script looks up.

    Heading ids come from heading text, which is article text: a headline `__config` would give
    `id="__config"` ahead of Material's `<script id="__config">`, and every script on the page
    would read the wrong element. Ids in the reserved space (see is_reserved_id) get an `h`
    in front; every other id stays as the configured slugify makes it. A heading with no
    letter the slugify keeps (Arabic, Chinese with the default one) is `heading`, not the empty
    id Python-Markdown would turn into `_1`.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, value: str, separator: str) -> str:
        made = self.inner(value, separator)
        if not isinstance(made, str):
            return made
        if not made:
            return "heading"
        return f"h{made}" if is_reserved_id(made) else made

    def __repr__(self) -> str:  # in the page cache's Markdown setup fingerprint: no address
        return f"_SafeSlugify({stable(self.inner)})"


def keep_heading_ids_out_of_reserved_names(mdx_configs: dict[str, Any]) -> None:
    """Wrap the toc extension's slugify (the configured one, or its default) in SafeSlugify."""
    from markdown.extensions.toc import slugify

    settings = mdx_configs.setdefault("toc", {})
    inner = settings.get("slugify", slugify)
    if not isinstance(inner, SafeSlugify):  # an engine may set up its config again (serve)
        settings["slugify"] = SafeSlugify(inner)
