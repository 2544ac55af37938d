"""Which addresses `digest fetch` may ask: public ones, unless a source allows private ones.

A feed item that links to `http://169.254.169.254/...` (a cloud metadata service) or to a
router's admin page would otherwise be fetched from inside CI and published. Every URL is
checked before it is requested: the feed or sitemap, every item, every redirect hop.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

# host, port -> the addresses it resolves to. Tests replace it; real runs ask the system.
Resolver = Callable[[str, int], Sequence[str]]


class AddressRefused(ValueError):
    """The URL may not be fetched; the message says why."""


def system_resolver(host: str, port: int) -> Sequence[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"cannot resolve host {host!r} ({error})") from None
    return [str(info[4][0]) for info in infos]


# RFC 6890's special-purpose blocks (and later additions) that Python's is_global lets through.
_NOT_GLOBAL_V4 = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    )
)
_NOT_GLOBAL_V6 = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "fec0::/10",  # site-local (deprecated, RFC 3879): still routed inside some networks
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation (RFC 8215)
        "100::/64",  # discard-only
    )
)
# IPv6 forms that carry an IPv4 address in their last 32 bits: it is what they reach.
_EMBEDDING_V6 = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "64:ff9b::/96",  # NAT64 well-known prefix (RFC 6052)
        "::ffff:0:0:0/96",  # SIIT IPv4-translated (RFC 7915)
        "::/96",  # IPv4-compatible (deprecated, RFC 4291), :: and ::1 among them
    )
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, in any of the forms that carry one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002::/16
        return ip.sixtofour
    if ip.teredo is not None:  # 2001::/32: judged by the client's address
        return ip.teredo[1]
    if any(ip in block for block in _EMBEDDING_V6):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """True for a globally routable unicast address: not in any of RFC 6890's special-purpose
    blocks of either family (private, loopback, link-local, site-local...), nor an IPv6 form
    carrying an IPv4 address that is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in block for block in _NOT_GLOBAL_V6):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public(str(embedded))
    elif any(ip in block for block in _NOT_GLOBAL_V4):
        return False
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """Raise AddressRefused unless url is http(s) and (allow_private or every address of its
    host is public). Every address, not the first: a name with one public and one private
    record could be connected to either."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"not an http(s) address: {url}")
    host = parts.hostname
    if not host:
        raise AddressRefused(f"no host in {url}")
    if parts.username or parts.password:
        raise AddressRefused(f"credentials in the address are not sent: {url}")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused(f"bad port in {url}") from None
    addresses = resolve(host, port)
    if not addresses:
        raise AddressRefused(f"host {host!r} has no address")
    for address in addresses:
        if not is_public(address):
            raise AddressRefused(
                f"{host} is a private, loopback or link-local address ({address}); "
                "set allow_private: true on the source to fetch it"
            )
