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
from tests.support.npm import installed
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


TYPESCRIPT = PROJECT_ROOT / "clients" / "typescript"


@pytest.mark.needs("node")
async def test_a_typescript_partner_generates_its_types_from_the_served_schema(
    api, database, tmp_path
):
    """clients/typescript as a partner's developer uses it: graphql-codegen reads the site's
    /schema.graphql (localhost, X-Tenant), tsc type-checks and builds the search against the
    generated types, and the built search runs with a client-credentials client; a document
    asking for a field the schema does not offer stops the generation, naming the field."""
    if shutil.which("npm") is None:
        skip_for_want_of("node", "npm is not installed")
    modules = await asyncio.to_thread(installed, TYPESCRIPT)
    project = tmp_path / "partner"
    shutil.copytree(
        TYPESCRIPT,
        project,
        ignore=shutil.ignore_patterns("node_modules", "dist", "gql", ".npm-install.lock"),
    )
    (project / "node_modules").symlink_to(modules)
    _, client_id, secret = await client(api, ["TENANT_READ", "JOBS_READ"], tenant="kansai-jobs")
    expected = await api.data(
        '{ jobs(search: "engineer", first: 5) { totalCount } }', tenant="kansai-jobs"
    )

    async def npm(*arguments: str, **environment: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            "npm", "run", "--silent", *arguments,
            cwd=project, env={**os.environ, **environment},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode()

    async with listening(database) as port:
        site = {"JOBGRAPH_URL": f"http://localhost:{port}", "JOBGRAPH_TENANT": "kansai-jobs"}
        code, said = await npm("codegen", **site)
        assert code == 0, said
        assert (project / "src" / "gql" / "graphql.ts").exists()
        code, said = await npm("build")
        assert code == 0, said
        code, said = await npm(
            "search", "--", "engineer",
            JOBGRAPH_CLIENT_ID=client_id, JOBGRAPH_CLIENT_SECRET=secret, **site,
        )  # fmt: skip
        assert code == 0, said
        assert said.splitlines()[0] == f"{expected['jobs']['totalCount']} postings on kansai-jobs"

        search = project / "src" / "search.ts"
        document = search.read_text()
        assert "totalCount\n      edges" in document, "the document this test edits"
        search.write_text(document.replace("totalCount\n", "totalCount salaryCap\n", 1))
        code, said = await npm("codegen", **site)
        assert code != 0 and "salaryCap" in said, said
