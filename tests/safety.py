"""Find live markup in built pages: scripts, event handlers, script URLs, frames.

Pages are parsed, not searched as text: escaped article text such as ``&lt;script&gt;`` is fine,
a ``<script>`` element that did not come from the theme is not. ``html.parser`` sees tags
inside ``<title>`` too, so text that breaks out of the title (``</title><script>``) is caught.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# Attributes that hold a URL a browser may follow or load.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcdoc"}
)
# Elements that never belong in a digest page: they run or embed other documents.
FORBIDDEN_ELEMENTS = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "base"})
_SCHEME_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def dangerous_url(value: str) -> bool:
    """True for javascript:, vbscript: and HTML data: URLs, however they are spelled."""
    squashed = _SCHEME_NOISE.sub("", value).lower()
    return squashed.startswith(("javascript:", "vbscript:", "data:text/html", "data:image/svg"))


@dataclass
class _Script:
    attrs: dict[str, str]
    text: str = ""


@dataclass
class _Scanner(HTMLParser):
    findings: list[str] = field(default_factory=list)
    scripts: list[_Script] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}>: event handler")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                self.findings.append(f"<{tag} {name}={value!r}>: script URL")
        if tag in FORBIDDEN_ELEMENTS:
            self.findings.append(f"<{tag}>: embeds another document")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.findings.append("<meta http-equiv=refresh>: redirect")
        if tag == "script":
            self.scripts.append(_Script(values))
            self._in_script = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self.scripts:
            self.scripts[-1].text += data


def scan(html_text: str) -> tuple[list[str], list[_Script]]:
    scanner = _Scanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.findings, scanner.scripts


def fragment_problems(html_text: str) -> list[str]:
    """Live markup in an HTML fragment (a search index entry, a feed item): no script at all."""
    findings, scripts = scan(html_text)
    return findings + [f"<script {s.attrs}>{s.text[:60]}</script>" for s in scripts]


class SiteChecker:
    """Checks every page of a built site against the scripts the theme itself puts in."""

    def __init__(self, site: Path) -> None:
        self.site = site
        _, scripts = scan((site / "index.html").read_text(encoding="utf-8"))
        self.theme_inline = {s.text.strip() for s in scripts if _is_inline_code(s)}
        assert self.theme_inline, "the theme's own inline scripts were not found on index.html"

    def page_problems(self, page: Path) -> list[str]:
        findings, scripts = scan(page.read_text(encoding="utf-8"))
        where = posixpath.dirname(page.relative_to(self.site).as_posix())
        configs = [s for s in scripts if s.attrs.get("id") == "__config"]
        if len(configs) != 1:
            return [*findings, f"{len(configs)} __config scripts, not one"]
        # "../.." on most pages; the site_url path on 404.html, which may be served anywhere.
        base = json.loads(configs[0].text)["base"]
        for script in scripts:
            if script is configs[0]:
                continue
            if "src" in script.attrs:
                src = script.attrs["src"]
                if base.startswith("/") and src.startswith(base):
                    target = src[len(base) :]
                else:
                    target = posixpath.normpath(posixpath.join(where, src))
                if not (target.startswith("assets/") and target.endswith(".js")):
                    findings.append(f"<script src={src!r}>: not a site asset")
                elif not (self.site / target).is_file():
                    findings.append(f"<script src={src!r}>: no such asset")
                continue
            # The theme's inline scripts differ between pages only in the base URL.
            text = script.text.strip().replace(f'new URL("{base}",', 'new URL(".",')
            if text not in self.theme_inline:
                findings.append(f"inline <script>{script.text[:80]!r}: not the theme's")
        return findings

    def problems(self) -> dict[str, list[str]]:
        """{page: findings} for every HTML page with live markup that is not the theme's."""
        found = {}
        for page in sorted(self.site.rglob("*.html")):
            findings = self.page_problems(page)
            if findings:
                found[page.relative_to(self.site).as_posix()] = findings
        return found

    def search_index_problems(self) -> dict[str, list[str]]:
        """Material renders search titles and texts as HTML: they must hold no live markup."""
        index = json.loads((self.site / "search" / "search_index.json").read_text("utf-8"))
        found = {}
        for doc in index["docs"]:
            findings = fragment_problems(doc["title"]) + fragment_problems(doc["text"])
            if findings:
                found[doc["location"]] = findings
        return found


def _is_inline_code(script: _Script) -> bool:
    return "src" not in script.attrs and script.attrs.get("type") != "application/json"
