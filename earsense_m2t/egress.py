"""Where the pipeline may send requests: http(s) to public addresses, unless the site itself is local.

Every page, recording and media URL is checked before a connection is opened, and again on every
redirect: the host is resolved and each address it resolves to must be public (not loopback,
private, link-local, multicast, reserved or unspecified). A crawl of a site on this machine (the
mini site, or a ``--site`` on loopback) may also reach that site's own origin (scheme, host and port of
its start URL) — and nothing else on loopback: not another port, not another loopback address, not
``localhost`` for ``127.0.0.1``. A URL that carries credentials is refused with a message that does not
repeat them.

The resolver and the test for "public" are injectable, so a test can present a site on a loopback
address as if it were public and check that everything else on loopback is refused. The policy
travels to the crawler's subprocess as JSON (:meth:`EgressPolicy.to_json`).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]
ALLOWED_SCHEMES = ("http", "https")


class EgressRefused(ValueError):
    """A request the policy does not allow; the message names the URL (without credentials) and why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused {redact(url)}: {reason}")
        self.url, self.reason = redact(url), reason


def redact(url: str) -> str:
    """The URL without user name and password, so a message or a log never repeats a credential."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        return "<unparseable URL>"


def system_resolver(host: str) -> list[str]:
    """Every address the host resolves to (a host may resolve to a public and a private address)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"http://{host}/", f"host {host!r} does not resolve ({exc})") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: what a crawl of a public site may reach."""
    return not (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified) and address.is_global


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL (host lower-case, IPv6 in brackets, the scheme's port when none is given)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:{port}"


@dataclass(frozen=True)
class EgressPolicy:
    #: the site itself is on this machine (the mini site): loopback addresses are allowed too
    allow_loopback: bool = False
    #: with ``allow_loopback``, the only origins on loopback that may be reached (empty: any; what tests of a
    #: stage use when their dev servers run on several ports — a build's policy always names the site's)
    loopback_origins: frozenset[str] = field(default_factory=frozenset)
    #: addresses a test presents as public (e.g. 127.0.0.5 standing in for a public site)
    treat_as_public: frozenset[str] = field(default_factory=frozenset)
    resolver: Resolver = system_resolver

    @classmethod
    def for_site(cls, site_url: str, *, treat_as_public: Iterable[str] = ()) -> EgressPolicy:
        """The policy a crawl of ``site_url`` runs under: on loopback only the site's own origin, and only when
        the site itself is local."""
        public = frozenset(treat_as_public)
        host = urlsplit(site_url).hostname or ""
        try:
            local = ipaddress.ip_address(host).is_loopback and host not in public
        except ValueError:
            local = host == "localhost"
        return cls(allow_loopback=local, loopback_origins=frozenset({origin(site_url)} if local else ()),
                   treat_as_public=public)

    def allows_address(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if address in self.treat_as_public:
            return True
        if ip.is_loopback:
            return self.allow_loopback
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return self.allows_address(str(ip.ipv4_mapped))
        return is_public(ip)

    def check(self, url: str) -> None:
        """Raise :class:`EgressRefused` unless ``url`` may be requested; resolves the host, opens no socket."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            _ = parts.port  # a bad port raises here
        except ValueError as exc:
            raise EgressRefused(url, f"not a valid URL ({exc})") from exc
        if parts.scheme not in ALLOWED_SCHEMES:
            raise EgressRefused(url, f"scheme {parts.scheme!r} is not allowed (only http and https)")
        if parts.username is not None or parts.password is not None:
            raise EgressRefused(url, "URLs with credentials are not allowed; give credentials through the environment")
        if not host:
            raise EgressRefused(url, "no host")
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = self.resolver(host)
        if not addresses:
            raise EgressRefused(url, f"host {host!r} does not resolve")
        for address in addresses:
            if not self.allows_address(address):
                where = "" if address == host else f" ({host} resolves to {address})"
                raise EgressRefused(url, f"address {address} is not public{where}")
            if self.loopback_origins and self._loopback(address) and origin(url) not in self.loopback_origins:
                raise EgressRefused(url, f"{origin(url)} is on loopback but not the site's own origin "
                                         f"({', '.join(sorted(self.loopback_origins))})")

    def _loopback(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback and address not in self.treat_as_public

    def to_json(self) -> str:
        """For the crawler's subprocess; the resolver is the system's there."""
        return json.dumps({"allow_loopback": self.allow_loopback, "loopback_origins": sorted(self.loopback_origins),
                           "treat_as_public": sorted(self.treat_as_public)})

    @classmethod
    def from_json(cls, text: str) -> EgressPolicy:
        data = json.loads(text)
        return cls(allow_loopback=bool(data["allow_loopback"]),
                   loopback_origins=frozenset(data.get("loopback_origins", ())),
                   treat_as_public=frozenset(data["treat_as_public"]))
