"""Shared database machinery: engines, the per-request session, the model base, migrations."""
