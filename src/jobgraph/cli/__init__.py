"""The ``jobgraph`` command, by concern: serving, the database, the tenant files, who may
call, and the work done later (``jobgraph --help`` lists them)."""

from jobgraph.cli import access, database, serve, tenants, work
from jobgraph.cli.base import main
from jobgraph.cli.serve import server_options

__all__ = ["access", "database", "main", "serve", "server_options", "tenants", "work"]
