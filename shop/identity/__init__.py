"""The identity service: customers and service clients in, signed access tokens out."""
