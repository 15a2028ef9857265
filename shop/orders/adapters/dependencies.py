"""How a failed call to another service reads in the orders domain.

One rule for every dependency, applied after the caller has translated the errors its
contract declares (``OutOfStock``, ``CardDeclined`` …):

=================================================  ==========================
what the client raised                             domain error
=================================================  ==========================
no answer (``TransportError``, ``Timeout``)        ``DependencyUnavailable``
a 5xx (declared, standard or not declared)         ``DependencyUnavailable``
a 429, or a 401 (orders' own token was refused)    ``DependencyUnavailable``
no token for orders itself (``TokenUnavailable``)  ``DependencyUnavailable``
                                                   of ``identity``
not sent at all: the circuit breaker is open       ``DependencyUnavailable``
                                                   with ``sent=False``
any other error answer or a response that breaks   ``DependencyFailed``
the contract
=================================================  ==========================
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accord.client import TokenUnavailable
from accord.errors import ClientError, RemoteError, ServiceError, UnexpectedResponse
from accord.resilience import BreakerOpen
from shop.orders.domain.exceptions import DependencyFailed, DependencyUnavailable

__all__ = ["dependency_errors"]

#: Refusals that pass: 429 (slow down) and 401 (orders' token was refused, say while the
#: service loads the identity service's keys; orders asks for a new one next time).
_TRY_AGAIN = frozenset({401, 429})


@contextmanager
def dependency_errors(
    dependency: str, *, declared: tuple[type[ServiceError[Any]], ...] = ()
) -> Iterator[None]:
    """Turn the accord client errors raised inside the block into domain errors.

    Errors in ``declared`` pass through untouched, for the caller to translate.
    """
    try:
        yield
    except ServiceError as exc:
        if isinstance(exc, declared):
            raise
        if exc.status >= 500 or exc.status in _TRY_AGAIN:
            raise DependencyUnavailable(dependency, f"{exc.code}: {exc.detail}") from exc
        raise DependencyFailed(dependency, f"{exc.code}: {exc.detail}") from exc
    except RemoteError as exc:
        if exc.status >= 500 or exc.retryable:
            raise DependencyUnavailable(dependency, str(exc)) from exc
        raise DependencyFailed(dependency, str(exc)) from exc
    except UnexpectedResponse as exc:
        if exc.status is not None and exc.status >= 500:
            raise DependencyUnavailable(dependency, str(exc)) from exc
        raise DependencyFailed(dependency, str(exc)) from exc
    except TokenUnavailable as exc:  # orders' own token could not be had: nothing sent
        cause = exc.__cause__ or exc
        raise DependencyUnavailable("identity", f"no service token: {cause}") from exc
    except BreakerOpen as exc:
        raise DependencyUnavailable(dependency, str(exc), sent=False) from exc
    except ClientError as exc:  # TransportError, Timeout: no answer at all
        raise DependencyUnavailable(dependency, str(exc)) from exc
