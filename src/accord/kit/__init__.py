"""The service kit: what the composition root of every service over SQL does, as one piece.

A service's ``create_app`` keeps what is its own (its settings, its use cases, the
layers and hooks only it has) and hands the rest to :class:`ServiceKit`::

    def create_app(settings: Settings | None = None, *, verifier=None) -> App:
        kit = ServiceKit.open(
            Settings, SERVICE, settings, contract=Catalog,
            migrations=sql.MIGRATIONS,
        )
        service = CatalogService(sql.unit_of_work(kit.engine))
        auth = kit.authentication(verifier=verifier, keys_from=KEYS_PEER)
        return kit.app(Catalog, CatalogEndpoint(service), auth=auth, errors=ERRORS)

``open`` loads the settings (:mod:`accord.config`), configures telemetry that follows
``observability``, migrates the database (Alembic's version table
``<service>_alembic_version``) and opens its engine; :meth:`ServiceKit.layers` is the
standard stack (the settings' snapshot, load shedding, authentication, deadlines,
faults, idempotency keys in ``<service>_idempotency_keys``, rate limits);
:meth:`ServiceKit.app` assembles the :class:`~accord.runtime.App` with its readiness
check, start-up and shutdown hooks and ``GET /admin/config``, behind that stack unless
given other layers, answering domain errors through the entrypoint's table
(``errors=``). ``docs/service-kit.md``
walks through it.
"""

from accord.kit.service import DatabaseSettings, ServiceKit, own_database

__all__ = ["DatabaseSettings", "ServiceKit", "own_database"]
