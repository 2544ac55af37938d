"""Build the digest's site with Zensical instead of MkDocs (`digest build --engine zensical`).

Zensical reads mkdocs.yml but runs no MkDocs plugins, so the digest does beforehand what its
plugin does during an MkDocs build: it writes the generated pages, the reader's assets, the
search summaries and the feeds into a docs folder (digest.site.output), derives a config for it,
lets Zensical build, then adds the feed autodiscovery links to the pages. Only this package
imports Zensical, and only when a build asks for it, so the extra stays optional.
"""

from digest.zensical.build import (
    INSTALL_HINT,
    TESTED_VERSION,
    ZensicalError,
    ZensicalMissing,
    build_site,
    derived_config,
)

__all__ = [
    "INSTALL_HINT",
    "TESTED_VERSION",
    "ZensicalError",
    "ZensicalMissing",
    "build_site",
    "derived_config",
]
