"""The server-side partner examples in clients/, run as a partner would run them against a
served site: a client-credentials client made by the site's admin, no Origin, X-Tenant."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys

import pytest

from jobgraph.settings import PROJECT_ROOT
from tests.support.browser import listening
from tests.support.needs import skip_for_want_of
from tests.support.partners import client

EXAMPLES = {
    "node": ["node", str(PROJECT_ROOT / "clients" / "node" / "search-from-server.mjs")],
    "python": [sys.executable, str(PROJECT_ROOT / "clients" / "python" / "search_from_server.py")],
}


async def run(command: list[str], **environment: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command,
        "engineer",
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "language", [pytest.param("node", marks=pytest.mark.needs("node")), "python"]
)
async def test_a_partners_server_searches_with_a_client_credentials_client(api, database, language):
    command = EXAMPLES[language]
    if shutil.which(command[0]) is None:
        skip_for_want_of(command[0], f"{command[0]} is not installed")
    _, client_id, secret = await client(api, ["TENANT_READ", "JOBS_READ"], tenant="kansai-jobs")
    expected = await api.data(
        '{ jobs(search: "engineer", first: 5) { totalCount edges { node { title } } } }',
        tenant="kansai-jobs",
    )
    assert expected["jobs"]["edges"], "the demo has engineers' postings to find"
    async with listening(database) as port:
        site = {"JOBGRAPH_URL": f"http://localhost:{port}", "JOBGRAPH_TENANT": "kansai-jobs"}
        code, out, err = await run(
            command, JOBGRAPH_CLIENT_ID=client_id, JOBGRAPH_CLIENT_SECRET=secret, **site
        )
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == f"{expected['jobs']['totalCount']} postings on kansai-jobs"
        titles = [re.sub(r"^- (.*) \(.*\)$", r"\1", line) for line in lines[1:]]
        assert titles == [edge["node"]["title"] for edge in expected["jobs"]["edges"]]

        code, out, err = await run(
            command, JOBGRAPH_CLIENT_ID=client_id, JOBGRAPH_CLIENT_SECRET="cs_wrong", **site
        )
        assert code == 1 and out == ""
        assert err.startswith("error: ") and "401" in err, err
        assert "not those of an active client of this site: check both" in err
