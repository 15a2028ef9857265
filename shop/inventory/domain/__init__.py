"""Inventory's domain: SKUs and their stock, reservations, and what may go wrong.

Pure Python: no framework, no database, no wire format.
"""
