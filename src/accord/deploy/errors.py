"""What goes wrong when rendering or checking the Kubernetes manifests.

::

    AccordError
     └── RenderError      the input cannot be rendered (one line says why)
"""

from __future__ import annotations

from accord.errors import AccordError

__all__ = ["RenderError"]


class RenderError(AccordError):
    """The project, its configuration or its objectives cannot be rendered."""
