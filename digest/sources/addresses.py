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


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local...)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    # ::ffff:10.0.0.1 and 64:ff9b::/96-style embeddings carry an IPv4 address: judge that.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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
