"""The console's third-party assets, served by jobgraph itself (no CDN): pinned releases
from the npm registry, kept in ``vendor/`` with their checksums.

``python -m jobgraph.console.vendor`` fetches them again from the registry and checks each
file against its checksum; to move to another release, change the version and the
checksum here together (the test of the console checks the files on disk)."""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class VendoredFile:
    package: str
    version: str
    path_in_package: str
    sha256: str

    @property
    def name(self) -> str:
        return Path(self.path_in_package).name

    @property
    def tarball_url(self) -> str:
        return f"{REGISTRY}/{self.package}/-/{self.package}-{self.version}.tgz"


GRAPHIQL_VERSION = "3.8.3"
REACT_VERSION = "18.3.1"
GRAPHQL_WS_VERSION = "6.4.2"
FILES = (
    VendoredFile(
        "react",
        REACT_VERSION,
        "umd/react.production.min.js",
        "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd",
    ),
    VendoredFile(
        "react-dom",
        REACT_VERSION,
        "umd/react-dom.production.min.js",
        "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d",
    ),
    VendoredFile(
        "graphiql",
        GRAPHIQL_VERSION,
        "graphiql.min.js",
        "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
    ),
    VendoredFile(
        "graphiql",
        GRAPHIQL_VERSION,
        "graphiql.min.css",
        "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
    ),
    # GraphQL over WebSocket (graphql-transport-ws): the console's subscriptions.
    VendoredFile(
        "graphql-ws",
        GRAPHQL_WS_VERSION,
        "umd/graphql-ws.min.js",
        "5f1e250bdea0a551d58272048281dbf5b2fb69faa120160bab49485c72b6f24d",
    ),
)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch() -> None:
    import httpx

    for file in FILES:
        print(f"fetching {file.package}@{file.version}: {file.path_in_package}", flush=True)
        response = httpx.get(file.tarball_url, follow_redirects=True, timeout=60)
        response.raise_for_status()
        with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
            member = archive.extractfile(f"package/{file.path_in_package}")
            assert member is not None, file.path_in_package
            data = member.read()
        if digest(data) != file.sha256:
            sys.exit(f"{file.name}: checksum {digest(data)} differs from the pinned {file.sha256}")
        (VENDOR_DIR / file.name).write_bytes(data)
    print(f"all {len(FILES)} files match their checksums")


if __name__ == "__main__":
    fetch()
