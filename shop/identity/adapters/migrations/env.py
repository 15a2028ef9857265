from accord.sql import alembic_env

alembic_env()
