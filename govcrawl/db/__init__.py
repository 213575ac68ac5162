"""Storage: typed models, the database URL, migrations and batched idempotent writes."""
