"""What the shop's services share that is the shop's own, not the toolkit's.

Plain Python only (the standard library): every layer of every service may import it,
the domain included (``tests/unit/test_boundaries.py`` checks both facts).
"""
