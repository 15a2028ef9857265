"""The shop: a reference system of services built only on accord's public API."""
