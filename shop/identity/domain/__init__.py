"""The identity domain: customers, service clients and what each may be granted.

Pure Python: nothing here knows about HTTP, databases, keys or token formats.
"""
