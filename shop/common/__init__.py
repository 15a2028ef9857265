"""What the shop's services share that is the shop's own, not the toolkit's.

Plain Python only (the standard library), so a service's application layer may import
it as it imports ``accord.ports`` (``tests/unit/test_boundaries.py`` checks both facts).
"""
