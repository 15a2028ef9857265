"""Mutual TLS between services: SSL contexts that reload from disk and check SPIFFE ids.

Both ends present a certificate issued by the project CA (``accord certs``) and check
the other's. The chain is checked by OpenSSL during the handshake (``CERT_REQUIRED``
against ``ca.crt``); the identity is checked by :func:`accord.security.check_peer` the
moment the handshake completes, before a byte of HTTP is read or written:

- a server refuses a peer whose certificate has no or several URI names, another trust
  domain, is a CA certificate, has expired, or (with an allow-list) is not allowed;
- a client refuses a server that is not the service it meant to call
  (``spiffe://<trust-domain>/<peer>``). Host-name checks are off: every service's
  certificate names ``localhost`` and ``127.0.0.1``, so a host name says nothing about
  *which* service answers; the SPIFFE id does.

Python's ``ssl`` has no verify callback, so the identity check lives in the
``SSLObject`` subclass a context hands out (``SSLContext.sslobject_class``): its
``do_handshake`` raises :class:`ssl.SSLCertVerificationError` when the peer is refused.
asyncio, uvloop and anyio all treat that as a failed handshake and close the
connection; the application never sees it.

Certificates reload without a restart. Files are compared by inode, size and mtime at
most every ``check_interval`` seconds; a change builds a fresh context, and only a
context that loads (the key matching the certificate) replaces the current one, so a
reader racing ``accord certs rotate`` keeps the previous pair. A server swaps the fresh
context into each new handshake from its ``sni_callback`` (called for every
ClientHello, with or without SNI); a client transport starts a new connection pool on
the fresh context. Connections already open keep the certificate they were made with.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

import anyio
import httpx

from accord._connections import DEFAULT_LIMITS
from accord.security._tls_files import Loaded, Reloader, load_context, trust_domain_of
from accord.security.binding import bound_thumbprint
from accord.security.certfiles import CertError, ca_cert_path, cert_path, key_path
from accord.security.spiffe import PeerRejected, SpiffeId, check_peer

if TYPE_CHECKING:
    from cryptography import x509

    from accord.security.certs import CertStore
    from accord.security.tokens import ClientCredentials

__all__ = [
    "ALLOW_VARIABLE",
    "DIR_VARIABLE",
    "RENEW_WITHIN",
    "SUPERVISOR",
    "MutualTLSTransport",
    "TLSConfig",
    "client_context",
    "ensure_certificates",
    "server_context",
]

#: Environment variable naming the certificate folder; set, it turns TLS on.
DIR_VARIABLE: Final = "ACCORD_TLS_DIR"
#: Environment variable: comma-separated services or SPIFFE ids allowed to call.
ALLOW_VARIABLE: Final = "ACCORD_TLS_ALLOW"
#: Environment variable: ``1`` for a server customers reach, which then admits a caller
#: that presents no certificate (a certificate it presents is checked all the same).
PUBLIC_VARIABLE: Final = "ACCORD_TLS_PUBLIC"
#: The identity ``accord up`` presents to probe readiness (and to scrape metrics).
SUPERVISOR: Final = "accord-supervisor"

#: How often, at most, certificate files are checked for a change.
CHECK_INTERVAL = 0.5
#: :func:`ensure_certificates` renews a certificate with less than this left.
RENEW_WITHIN = timedelta(days=1)

logger = logging.getLogger("accord.security.tls")

#: A bound token is asked for again this many times, this far apart, until it matches.
_REBIND_TRIES: Final = 12
_REBIND_PAUSE: Final = 0.15


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """Where the certificates are and who this process is.

    ``directory`` holds ``ca.crt`` and ``<name>.crt``/``<name>.key`` (the layout of
    :class:`~accord.security.CertStore`); ``name`` is this process's certificate;
    ``allow`` lists who may call a server (service names or full SPIFFE ids; empty:
    any certificate of the trust domain). A ``public`` server also admits a caller with
    no certificate at all (customers, whose requests carry tokens); a certificate a
    caller presents is checked as anywhere.
    """

    directory: Path
    name: str
    allow: frozenset[str] = frozenset()
    check_interval: float = CHECK_INTERVAL
    public: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, name: str | None = None) -> TLSConfig | None:
        """TLS settings from ``ACCORD_TLS_DIR``, ``ACCORD_SERVICE`` (or ``name``) and
        ``ACCORD_TLS_ALLOW`` (and ``ACCORD_TLS_PUBLIC``); ``None`` when
        ``ACCORD_TLS_DIR`` is unset or empty."""
        directory = environ.get(DIR_VARIABLE, "").strip()
        if not directory:
            return None
        who = name or environ.get("ACCORD_SERVICE", "").strip()
        if not who:
            raise CertError(f"${DIR_VARIABLE} is set but no service name ($ACCORD_SERVICE)")
        allow = frozenset(
            a.strip() for a in environ.get(ALLOW_VARIABLE, "").split(",") if a.strip()
        )
        public = environ.get(PUBLIC_VARIABLE, "").strip().lower() in {"1", "on", "true", "yes"}
        return cls(Path(directory), who, allow, public=public)

    @property
    def store(self) -> CertStore:
        """The certificate folder."""
        from accord.security.certs import CertStore

        return CertStore(self.directory)

    def files(self) -> tuple[Path, Path, Path]:
        """``ca.crt``, this process's certificate and its key."""
        folder = self.directory
        return ca_cert_path(folder), cert_path(folder, self.name), key_path(folder, self.name)


# -- the peer check, run when a handshake completes ----------------------------------


class _PeerPolicy:
    """What a peer must be: of the trust domain, and ``expected`` or one of ``allow``."""

    def __init__(
        self,
        trust_domain: str,
        *,
        expected: str | None = None,
        allow: Iterable[str] = (),
        anonymous: bool = False,
    ) -> None:
        self.trust_domain = trust_domain
        self.expected = expected
        self.allow = frozenset(allow)
        self.anonymous = anonymous

    def check(self, der: bytes | None) -> SpiffeId | None:
        """The peer's id (None: no certificate, where that is admitted), or
        :class:`PeerRejected`."""
        if der is None and self.anonymous:
            return None
        if der is None:
            raise PeerRejected("no_certificate", "the peer presented no certificate")
        ident = check_peer(der, trust_domain=self.trust_domain, expected=self.expected)
        if self.allow and not {str(ident), ident.path.lstrip("/")} & self.allow:
            raise PeerRejected("not_allowed", f"{ident} is not allowed to call")
        return ident


class _CheckedSSLObject(ssl.SSLObject):
    """An ``SSLObject`` that refuses the handshake when the peer fails ``_policy``."""

    _policy: ClassVar[_PeerPolicy]

    def do_handshake(self) -> None:
        super().do_handshake()
        _refuse_unless_allowed(self._policy, self.getpeercert(binary_form=True))


class _CheckedSSLSocket(ssl.SSLSocket):
    """The same check for blocking sockets (``wrap_socket``: synchronous httpx)."""

    _policy: ClassVar[_PeerPolicy]

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        try:
            _refuse_unless_allowed(self._policy, self.getpeercert(binary_form=True))
        except ssl.SSLError:
            self.close()
            raise


def _refuse_unless_allowed(policy: _PeerPolicy, der: bytes | None) -> None:
    try:
        policy.check(der)
    except Exception as exc:  # fail closed: whatever cannot be checked is refused
        reason = exc.reason if isinstance(exc, PeerRejected) else "unreadable"
        logger.warning("tls peer refused (%s): %s", reason, exc)
        raise ssl.SSLCertVerificationError(1, f"peer refused: {exc}") from None


def _check_peers(ctx: ssl.SSLContext, policy: _PeerPolicy) -> None:
    """Make every connection of ``ctx`` run ``policy`` when its handshake completes."""
    ctx.sslobject_class = type("CheckedSSLObject", (_CheckedSSLObject,), {"_policy": policy})
    ctx.sslsocket_class = type("CheckedSSLSocket", (_CheckedSSLSocket,), {"_policy": policy})


# -- servers -------------------------------------------------------------------------


def server_context(config: TLSConfig) -> ssl.SSLContext:
    """An SSL context for a server: TLS 1.3, client certificates required and checked
    (``config.public``: asked for and checked, not required).

    Each new handshake uses the certificate files as they are on disk now (see the
    module docstring); a peer that is not a leaf of the trust domain, or not in
    ``config.allow`` when that is set, is refused as the handshake completes.
    Session tickets are off: every connection proves its certificate afresh.
    Raises :class:`~accord.security.CertError` when the files do not load.
    """

    def build(_trust_domain: str) -> ssl.SSLContext:
        ctx = load_context(ssl.PROTOCOL_TLS_SERVER, config.files())
        ctx.num_tickets = 0
        if config.public:  # asked for, checked when given, not required
            ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx

    reloader = Reloader(config.files(), build, interval=config.check_interval, label="serving")
    policy = _PeerPolicy(reloader.current.trust_domain, allow=config.allow, anonymous=config.public)
    outer = reloader.current.context
    _check_peers(outer, policy)

    def on_hello(
        obj: ssl.SSLObject | ssl.SSLSocket, _name: str | None, _ctx: ssl.SSLContext
    ) -> None:
        try:
            loaded = reloader.get()
        except Exception:  # the handshake goes on with the context it has
            logger.exception("tls reload failed")
            return
        policy.trust_domain = loaded.trust_domain
        if obj.context is not loaded.context:
            obj.context = loaded.context

    outer.sni_callback = on_hello
    return outer


# -- clients -------------------------------------------------------------------------


def _client_builder(config: TLSConfig, peer: str) -> Callable[[str], ssl.SSLContext]:
    def build(trust_domain: str) -> ssl.SSLContext:
        ctx = load_context(ssl.PROTOCOL_TLS_CLIENT, config.files())
        ctx.check_hostname = False  # replaced by the SPIFFE id check
        ctx.verify_mode = ssl.CERT_REQUIRED
        _check_peers(ctx, _PeerPolicy(trust_domain, expected=peer))
        return ctx

    return build


def client_context(config: TLSConfig, peer: str) -> ssl.SSLContext:
    """An SSL context that presents ``config.name``'s certificate and accepts only ``peer``.

    ``peer`` is a service name (``inventory``) or a full SPIFFE id. The files are read
    once; :class:`MutualTLSTransport` is the reloading, asynchronous variant.
    """
    return _client_builder(config, peer)(trust_domain_of(config.files()[0]))


@dataclass(eq=False)
class _Pool:
    """A connection pool on one loaded context, and how many responses still use it."""

    loaded: Loaded
    transport: httpx.AsyncHTTPTransport
    leases: int = 0
    retired: bool = False
    closed: bool = False

    async def release(self) -> None:
        self.leases -= 1
        if self.retired and self.leases == 0 and not self.closed:
            self.closed = True
            await self.transport.aclose()


class _LeasedStream(httpx.AsyncByteStream):
    """A response body that gives its pool back when closed."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.release()


class MutualTLSTransport(httpx.AsyncBaseTransport):
    """An httpx transport speaking mutual TLS to one service.

    Presents ``config.name``'s certificate, trusts the project CA and accepts only a
    server whose SPIFFE id is ``peer``; a refusal is an :class:`httpx.ConnectError`
    raised before the request is sent. When the certificate files change, new
    connections use the new ones; requests in flight finish on their connection, and
    the old pool closes when its last response is closed::

        tls = TLSConfig.from_env(os.environ)
        client = Inventory.client(url, transport=MutualTLSTransport(tls, "inventory"))
    """

    def __init__(
        self,
        config: TLSConfig,
        peer: str,
        *,
        limits: httpx.Limits | None = None,
        credentials: ClientCredentials | None = None,
    ) -> None:
        """Load the files now (:class:`~accord.security.CertError` if they do not load).

        With ``credentials`` (:meth:`ClientCredentials.over_mtls`), a request whose bearer
        token is bound to another certificate than the one its connection presents (a
        renewal landed between the two) leaves with a token bound to the right one.
        """
        self.peer = peer
        self._credentials = credentials
        self._limits = limits or DEFAULT_LIMITS
        self._reloader = Reloader(
            config.files(),
            _client_builder(config, peer),
            interval=config.check_interval,
            label=f"calls to {peer}",
        )
        self._pool = self._open(self._reloader.current)
        self._retired: list[_Pool] = []

    def _open(self, loaded: Loaded) -> _Pool:
        return _Pool(loaded, httpx.AsyncHTTPTransport(verify=loaded.context, limits=self._limits))

    async def _current(self) -> _Pool:
        loaded = self._reloader.get()
        if self._pool.closed:  # closed by aclose(): open again, like a fresh transport
            self._pool = self._open(loaded)
        elif loaded is not self._pool.loaded:
            old, self._pool = self._pool, self._open(loaded)
            old.retired = True
            if old.leases == 0:
                old.closed = True
                await old.transport.aclose()
            else:
                self._retired.append(old)
            self._retired = [p for p in self._retired if not p.closed]
        return self._pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the pool of the current certificate."""
        pool = await self._current()
        if self._credentials is not None:
            pool = await self._rebind(request, pool)
        pool.leases += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            await pool.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_LeasedStream(response.stream, pool),
            extensions=response.extensions,
        )

    async def _rebind(self, request: httpx.Request, pool: _Pool) -> _Pool:
        """The pool to send ``request`` on, the request's bearer token bound to the
        certificate that pool presents: when they differ, the certificate files are
        looked at now (the token may be the newer one), then a token is asked for again,
        waiting a little for the token endpoint's connection to present the new
        certificate too."""
        assert self._credentials is not None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return pool
        bound = bound_thumbprint(token)
        for attempt in range(_REBIND_TRIES):
            if bound is None or bound == pool.loaded.thumbprint:
                break
            self._reloader.expire()
            pool = await self._current()
            if bound == pool.loaded.thumbprint:
                break
            if attempt:
                await anyio.sleep(_REBIND_PAUSE)
            self._credentials.invalidate()
            token = await self._credentials.token()
            bound = bound_thumbprint(token)
        request.headers["authorization"] = f"Bearer {token}"
        return pool

    async def aclose(self) -> None:
        """Close every connection; a later request opens new ones (an ``async with
        httpx.AsyncClient(transport=...)`` per call may share one transport)."""
        for pool in [*self._retired, self._pool]:
            if not pool.closed:
                pool.closed = True
                await pool.transport.aclose()
        self._retired = []


# -- provisioning --------------------------------------------------------------------


def ensure_certificates(
    directory: Path,
    names: Iterable[str],
    *,
    trust_domain: str,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> list[str]:
    """Create the CA if missing and issue each of ``names`` a certificate it lacks.

    A certificate is (re)issued when it is missing, unreadable, not signed by the CA in
    ``directory``, or expired or expiring within :data:`RENEW_WITHIN`; with
    ``lifetime`` (short-lived certificates), when two thirds of its life have passed,
    and it is then issued for ``lifetime``. Returns the names that were issued.
    """
    from accord.security.certs import CertStore

    store = CertStore(directory)
    if not store.ca_cert_path.exists():
        store.init(trust_domain)
    ca = store.load_ca()
    moment = now or datetime.now(UTC)
    issued: list[str] = []
    for name in names:
        if not _usable(store, name, ca.cert, moment, short=lifetime is not None):
            store.issue(name, lifetime=lifetime)
            issued.append(name)
    return issued


def _usable(
    store: CertStore, name: str, ca: x509.Certificate, now: datetime, *, short: bool = False
) -> bool:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    from accord.security.certs import cert_renewal_due

    if not store.key_path(name).exists():
        return False
    try:
        cert = x509.load_pem_x509_certificate(store.cert_path(name).read_bytes())
        cert.verify_directly_issued_by(ca)
    except (OSError, ValueError, TypeError, InvalidSignature):
        return False
    if short:
        return cert.not_valid_before_utc <= now and now.timestamp() < cert_renewal_due(cert)
    return cert.not_valid_before_utc <= now < cert.not_valid_after_utc - RENEW_WITHIN
