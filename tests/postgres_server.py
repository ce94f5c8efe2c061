"""A throwaway PostgreSQL server for the tests: a fresh cluster in a temporary directory, stopped and removed after.

The server listens only on a Unix socket in its own directory (no TCP), trusts every local connection and
skips fsync: it holds nothing worth keeping, and it starts in about a second.  `Cluster.start()` makes one,
`Cluster.new_database()` hands out fresh databases as libpq URLs, `Cluster.stop()` throws it all away.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

SUPERUSER = "postgres"  # the cluster's superuser (initdb -U) and, when the tests run as root, the OS user running it
TIMEOUT = 120  # seconds for initdb, pg_ctl and psql: a hung server fails the run instead of stalling it
#: the tests' server settings: nothing it holds is worth an fsync
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
#: a server that keeps every commit through a power cut (the benchmarks compare it with SQLite's synchronous=FULL)
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def find_bindir() -> Path | None:
    """The directory of the PostgreSQL server binaries (initdb, pg_ctl, postgres), or None when there are none.

    `pg_config --bindir` first (what the installed client was built with), then the newest of Debian's
    /usr/lib/postgresql/<version>/bin (not on PATH there), then an `initdb` on PATH.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=TIMEOUT)
        bindir = Path(found.stdout.strip())
        if found.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda initdb: [int(part) for part in re.findall(r"\d+", initdb.parent.parent.name)])
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    """A port number no one on this machine listens on now: it names the server's socket file.

    The server opens no TCP port, but two clusters, or a cluster and a system server, then never share a name.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_env() -> dict[str, str]:
    """This process's environment without the PG* variables, so a developer's PGHOST or PGOPTIONS can't redirect a test."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PG")}


class ClusterError(RuntimeError):
    """The throwaway server could not be made or started; the message carries the tool's output or the server log."""


class Cluster:
    """A running throwaway PostgreSQL cluster: its data, socket and log live in `directory`."""

    def __init__(self, bindir: Path, directory: Path, port: int) -> None:
        self.bindir = bindir
        self.directory = directory  # socket and server.log; the data in directory / "data"
        self.port = port
        self.data = directory / "data"
        self.log = directory / "server.log"

    @classmethod
    def start(cls, bindir: Path | None = None, settings: dict[str, str] | None = None) -> Cluster:
        """initdb a new cluster in a fresh directory under /tmp and start it; raises ClusterError with the log's tail.

        ``settings`` are the server's durability settings (default :data:`FAST`; :data:`DURABLE` for benchmarks).

        /tmp, not pytest's tmp_path: a socket's path must stay under ~100 bytes, and when the tests run as root
        the `postgres` user has to reach the directory through its parents.
        """
        bindir = bindir or find_bindir()
        if bindir is None:
            raise ClusterError("PostgreSQL server binaries not found: apt-get install postgresql")
        directory = Path(tempfile.mkdtemp(prefix="dealtrack-pg-", dir="/tmp"))
        directory.chmod(0o755)  # psql and psycopg (as this user) open the socket in it
        if os.geteuid() == 0:
            account = pwd.getpwnam(SUPERUSER)  # KeyError: no such user; as root there is no one else to run it as
            os.chown(directory, account.pw_uid, account.pw_gid)
        cluster = cls(bindir, directory, free_port())
        try:
            cluster._run_server_tool(
                "initdb", "-D", str(cluster.data), "-A", "trust", "-U", SUPERUSER,
                "--encoding=UTF8", "--locale=C", "--no-sync")
            chosen = " ".join(f"-c {name}={value}" for name, value in (settings or FAST).items())
            options = (f"-p {cluster.port} -k {shlex.quote(str(directory))} -c listen_addresses='' "
                       f"{chosen} -c max_connections=200")
            cluster._run_server_tool(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(cluster.data), "-l", str(cluster.log), "-o", options)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _run_server_tool(self, tool: str, *args: str) -> None:
        """Run initdb or pg_ctl from the server binaries, as `postgres` when we are root (both refuse to run as root)."""
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = (["runuser", "-u", SUPERUSER, "--", *command] if shutil.which("runuser")
                       else ["su", SUPERUSER, "-s", "/bin/sh", "-c", shlex.join(command)])
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.directory, env=client_env(),
                              timeout=TIMEOUT)
        if done.returncode != 0:
            raise ClusterError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}"
                               f"\n--- server log (last lines) ---\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The server log's last lines (empty when there is none yet), for error messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for a database of this cluster, as the superuser over the Unix socket."""
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.directory}&port={self.port}"

    def new_database(self) -> str:
        """Create a fresh, empty database with a unique name and return its URL.

        TEMPLATE template0: a copy of the pristine template, whatever anyone did to template1.
        """
        import psycopg  # the test extra's; imported here so find_bindir() works without it

        dbname = f"test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{dbname}" TEMPLATE template0')
        return self.url(dbname)

    def drop_database(self, url: str) -> None:
        """Drop a database new_database() made, even with connections a test left open (WITH (FORCE))."""
        import psycopg

        dbname = urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def psql(self, sql: str, dbname: str = "postgres") -> subprocess.CompletedProcess[str]:
        """Run `sql` through the psql client, stopping at the first error; for tests that show what psql says.

        -X: no ~/.psqlrc; the exit code is non-zero on an error, whose text is on stderr.
        """
        psql = self.bindir / "psql"
        command = [str(psql) if psql.is_file() else "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                   "-d", self.url(dbname), "-c", sql]
        return subprocess.run(command, capture_output=True, text=True, env=client_env(), timeout=TIMEOUT)

    def stop(self) -> None:
        """Stop the server at once (-m immediate: nothing to save) and remove its directory."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run_server_tool("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data))
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
