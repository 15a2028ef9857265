"""Stage two, for everything around the schemas.

Operations, parameters, bodies, security, servers, callbacks and accord's extensions.
"""
