"""Accounts through the API: registration, and the demo site admins' tokens."""

from __future__ import annotations

from tests.conftest import code_in

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { email message }
}"""


CONFIRM = """mutation($t: String!) {
  confirmRegistration(token: $t) { accessToken refreshToken expiresIn }
}"""


async def admin_token(api, tenant: str = "jobboard") -> str:
    """The demo admin of ``tenant`` (admin@<tenant>.test), signed in."""
    return (await api.staff_sign_in(f"admin@{tenant}.test", tenant))["accessToken"]


async def confirmed(api, outbox, tenant, email, **kwargs) -> dict:
    """Register, then confirm with the code mailed to the address: the sign-in tokens."""
    assert "errors" not in await register(api, tenant, email, **kwargs)
    *_, mail = await outbox(email, "CONFIRM_ADDRESS")
    return await api.data(CONFIRM, {"t": code_in(mail["body"])}, tenant=tenant)


async def register(api, tenant, email, password="a-long-passphrase-42", full_name="Ann Seeker"):
    """Register as a seeker who read and accepted the site's documents in force."""
    documents = await api.data("{ legalDocuments { id } }", tenant=tenant)
    accepted = [document["id"] for document in documents["legalDocuments"]]
    return await api.graphql(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": password,
                "fullName": full_name,
                "acceptedDocumentIds": accepted,
            }
        },
        tenant=tenant,
    )
