"""Inventory's adapters: SQL storage and its migrations."""
