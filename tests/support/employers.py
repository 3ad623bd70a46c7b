"""An employer of a demo tenant posting jobs through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CREATE = """mutation($input: JobInput!) { createJob(input: $input) { id status } }"""


PUBLISH = """mutation($id: ID!) { publishJob(id: $id) { id status publishedAt expiresAt } }"""


@dataclass
class Employer:
    api: Any
    tenant: str
    token: str
    company_id: str
    company_name: str

    async def post(self, publish: bool = True, **fields: Any) -> str:
        job = {
            "companyId": self.company_id,
            "title": "Test job",
            "description": "Work.",
            "category": "ENGINEERING",
            "employmentType": "FULL_TIME",
        } | fields
        data = await self.api.data(CREATE, {"input": job}, tenant=self.tenant, token=self.token)
        job_id = data["createJob"]["id"]
        if publish:
            await self.api.data(PUBLISH, {"id": job_id}, tenant=self.tenant, token=self.token)
        return job_id


async def employer_of(api: Any, tenant: str) -> Employer:
    token = (await api.sign_in(f"employer@{tenant}.test", tenant))["accessToken"]
    me = await api.data(
        "{ me { memberships { companyId companyName } } }", tenant=tenant, token=token
    )
    membership = me["me"]["memberships"][0]
    return Employer(api, tenant, token, membership["companyId"], membership["companyName"])


async def new_company(api: Any, token: str, name: str, tenant: str = "jobboard") -> str:
    """A company the signed-in account creates (and so owns); its id."""
    created = await api.data(
        "mutation($n: String!) { createCompany(input: {name: $n}) { id } }",
        {"n": name},
        tenant=tenant,
        token=token,
    )
    return str(created["createCompany"]["id"])
