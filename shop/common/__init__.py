"""What the shop's services share that is the shop's own, not the toolkit's.

Plain Python only (the standard library), so a service's domain and application layer
may import it (``tests/unit/test_boundaries.py`` checks both facts).
"""
