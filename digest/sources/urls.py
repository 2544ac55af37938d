"""Canonical article URLs: one story, one address, whatever tracking was glued to it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Parameters that say who sent the reader, never which page: dropped before comparing.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "wbraid",
        "gbraid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "icid",
        "smid",
        "ns_source",
        "ns_mchannel",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
    }
)


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """url with the scheme and host lower-cased, default port, fragment and tracking
    parameters removed; other parameters keep their order (some sites route by them)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def absolute(base: str, href: str) -> str | None:
    """href resolved against base if it is an http(s) address, else None."""
    joined = urljoin(base, href.strip())
    return joined if urlsplit(joined).scheme in ("http", "https") else None
