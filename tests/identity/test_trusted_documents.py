"""Trusted documents: partner clients send registered document ids; where the tenant
requires it, they can run nothing else."""

import hashlib

from tests.conftest import error_code
from tests.support.accounts import admin_token
from tests.support.partners import ORIGIN, client, client_token, site_key

DOCUMENT = "query Branding { tenant { slug branding { siteName } } }"
REGISTER = """mutation($c: String!, $d: [String!]!) {
  registerTrustedDocuments(client: $c, documents: $d) }"""


async def partner(api) -> tuple[str, str]:
    _, client_id, secret = await client(api, ["TENANT_READ"])
    token = (await client_token(api, client_id, secret)).json()["access_token"]
    return client_id, token


async def run(api, token, body, tenant="jobboard"):
    return await api.http.post(
        "/graphql", json=body, headers={"X-Tenant": tenant, "Authorization": f"Bearer {token}"}
    )


async def test_a_registered_document_runs_by_its_id(api):
    client_id, token = await partner(api)
    [document_id] = (
        await api.data(
            REGISTER,
            {"c": client_id, "d": [DOCUMENT]},
            tenant="jobboard",
            token=await admin_token(api),
        )
    )["registerTrustedDocuments"]
    assert document_id.startswith("sha256:") and len(document_id) == 71
    response = await run(api, token, {"documentId": document_id})
    assert response.json()["data"]["tenant"]["slug"] == "jobboard"
    unknown = await run(api, token, {"documentId": "sha256:" + "0" * 64})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["field"] == "documentId"


async def test_a_registered_mutation_never_runs_over_get(api):
    client_id, token = await partner(api)
    mutation = "mutation Out { logout }"
    [document_id] = (
        await api.data(
            REGISTER,
            {"c": client_id, "d": [mutation]},
            tenant="jobboard",
            token=await admin_token(api),
        )
    )["registerTrustedDocuments"]
    response = await api.http.get(
        "/graphql",
        params={"documentId": document_id},
        headers={"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 405, response.text


async def test_another_clients_documents_are_not_yours(api):
    owner_id, _ = await partner(api)
    [document_id] = (
        await api.data(
            REGISTER,
            {"c": owner_id, "d": [DOCUMENT]},
            tenant="jobboard",
            token=await admin_token(api),
        )
    )["registerTrustedDocuments"]
    _, other = await partner(api)
    assert (await run(api, other, {"documentId": document_id})).status_code == 400


async def test_only_registered_documents_where_the_tenant_requires_it(database, serve, reconfigure):
    await reconfigure({"jobboard": {"policy": {"api": {"trusted_documents_only": True}}}})
    async with serve(database) as api:
        client_id, token = await partner(api)
        await api.data(
            REGISTER,
            {"c": client_id, "d": [DOCUMENT]},
            tenant="jobboard",
            token=await admin_token(api),
        )
        arbitrary = await run(api, token, {"query": "{ tenant { slug } }"})
        assert arbitrary.status_code == 403
        assert "documentId" in arbitrary.json()["errors"][0]["message"]
        from jobgraph.identity.trusted_documents import document_id

        allowed = await run(api, token, {"documentId": document_id(DOCUMENT)})
        assert allowed.json()["data"]["tenant"]["slug"] == "jobboard"
        key = (await site_key(api))["key"]
        by_key = await api.http.post(
            "/graphql",
            json={"query": "{ tenant { slug } }"},
            headers={"X-Tenant": "jobboard", "X-Site-Key": key, "Origin": ORIGIN},
        )
        assert by_key.status_code == 403
        # GET is no way around it: the same refusal, and GET carries a documentId too.
        for headers in (
            {"Authorization": f"Bearer {token}"},
            {"X-Site-Key": key, "Origin": ORIGIN},
        ):
            by_get = await api.http.get(
                "/graphql",
                params={"query": "{ tenant { slug } }"},
                headers={"X-Tenant": "jobboard", **headers},
            )
            assert by_get.status_code == 403, by_get.text
            assert "documentId" in by_get.json()["errors"][0]["message"]
        by_id = await api.http.get(
            "/graphql",
            params={"documentId": document_id(DOCUMENT)},
            headers={"X-Tenant": "jobboard", "Authorization": f"Bearer {token}"},
        )
        assert by_id.json()["data"]["tenant"]["slug"] == "jobboard"
        # People (the console) are not partner clients: their queries still run.
        employer = (await api.sign_in("employer@jobboard.test", "jobboard"))["accessToken"]
        assert "errors" not in await api.graphql(
            "{ tenant { slug } }", tenant="jobboard", token=employer
        )


async def test_a_manifest_registers_documents_from_the_command_line(
    api, database, tmp_path, monkeypatch
):
    import asyncio
    import json

    from click.testing import CliRunner

    from jobgraph.cli import main
    from jobgraph.identity.trusted_documents import document_id
    from jobgraph.settings import get_settings

    client_id, token = await partner(api)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({document_id(DOCUMENT): DOCUMENT}))
    monkeypatch.setenv("DATABASE_URL", database.admin)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["documents", "register", "jobboard", client_id, str(manifest)],
        )
        unknown = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["documents", "register", "jobboard", "not-a-client", str(manifest)],
        )
        manifest.write_text(json.dumps({"sha256:" + "1" * 64: DOCUMENT}))
        forged = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["documents", "register", "jobboard", client_id, str(manifest)],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert document_id(DOCUMENT) in result.output
    assert forged.exit_code == 1 and "do not match" in forged.output
    assert unknown.exit_code == 1 and unknown.exception.__class__ is SystemExit
    assert "No active site key or client 'not-a-client'" in unknown.output
    assert "CLIENT is a site key's id" in unknown.output
    response = await run(api, token, {"documentId": document_id(DOCUMENT)})
    assert response.json()["data"]["tenant"]["slug"] == "jobboard"


def persisted(query: str) -> dict:
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}


async def test_automatic_persisted_queries_only_where_the_site_turns_them_on(api):
    query = "{ tenant { slug } }"
    hash_only = persisted(query)
    off = await api.http.post("/graphql", json=hash_only, headers={"X-Tenant": "jobboard"})
    assert off.status_code == 200 and error_code(off.json()) == "PERSISTED_QUERY_NOT_SUPPORTED"

    operator = await api.operator_token()
    for tenant in ("jobboard", "community"):
        await api.data(
            "mutation($s: String!) { updateTenantPolicy(slug: $s, "
            "changes: {api: {automatic_persisted_queries: true}}) { settings { version } } }",
            {"s": tenant},
            tenant="jobboard",
            token=operator,
        )
    headers = {"X-Tenant": "jobboard"}
    unknown = await api.http.post("/graphql", json=hash_only, headers=headers)
    assert unknown.status_code == 200
    assert error_code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
    first = await api.http.post("/graphql", json={"query": query} | hash_only, headers=headers)
    assert first.json()["data"] == {"tenant": {"slug": "jobboard"}}
    again = await api.http.post("/graphql", json=hash_only, headers=headers)
    assert again.json()["data"] == {"tenant": {"slug": "jobboard"}}
    # Another site has not seen it; and a hash must be the query's own.
    elsewhere = await api.http.post("/graphql", json=hash_only, headers={"X-Tenant": "community"})
    assert error_code(elsewhere.json()) == "PERSISTED_QUERY_NOT_FOUND"
    forged = await api.http.post(
        "/graphql", json={"query": "{ me { email } }"} | hash_only, headers=headers
    )
    assert forged.status_code == 400 and error_code(forged.json()) == "BAD_USER_INPUT"
