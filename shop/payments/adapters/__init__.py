"""What payments plugs into its ports: SQL storage and the card processor."""
