"""The payments use cases and the ports they run on."""
