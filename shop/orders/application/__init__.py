"""The orders use cases and the ports they run on."""
