"""The shop's twin: the same three services and flow, built on FastAPI as most teams would.

Used only by ``bench/shop.py`` for comparison; never imported by accord or the shop.
"""
