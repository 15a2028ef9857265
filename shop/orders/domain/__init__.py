"""The orders domain: orders, their lines and the holds placed for them.

Pure Python: nothing here knows about HTTP, databases or the other services' wires.
"""
