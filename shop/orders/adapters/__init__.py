"""What orders plugs into its ports: SQL storage and clients of inventory and payments."""
