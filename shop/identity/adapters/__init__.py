"""What identity plugs into its ports: SQL storage, scrypt, the clients file, signed JWTs."""
