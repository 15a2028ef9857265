"""The one rule for an on/off value written as text (an environment variable, say).

``on``, ``1``, ``true`` and ``yes`` switch on; ``off``, ``0``, ``false`` and ``no``
switch off; any case, surrounding blanks ignored. Settings fields of type ``bool``
(:mod:`accord.config`) and the runtime's ``ACCORD_*`` switches read values this way.
"""

from __future__ import annotations

__all__ = ["OFF", "ON", "parse_switch"]

#: The words that switch on.
ON = frozenset({"1", "on", "true", "yes"})
#: The words that switch off.
OFF = frozenset({"0", "off", "false", "no"})


def parse_switch(text: str) -> bool:
    """``True`` for a word of :data:`ON`, ``False`` for one of :data:`OFF`;
    ``ValueError`` (``must be 'on' or 'off', not '…'``) for anything else."""
    word = text.strip().lower()
    if word in ON:
        return True
    if word in OFF:
        return False
    raise ValueError(f"must be 'on' or 'off', not {text!r}")
