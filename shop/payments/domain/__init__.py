"""The payments domain: authorizations, money and the processor's decisions.

Pure Python: nothing here knows about HTTP, databases or the card processor's wire.
"""
