"""Stage three: showing the changes (text, JSON, Markdown) and judging regenerated documents."""
