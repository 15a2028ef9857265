"""The rule catalogue: every finding by stable id and level, and its Markdown page."""
