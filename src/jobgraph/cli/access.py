"""Who may call: partner clients' trusted documents, the token signing keys, operators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from jobgraph.cli.base import (
    Steps,
    detail,
    fail,
    load_registry,
    main,
    run_async,
    with_app_engine,
)
from jobgraph.db.provision import provisioned_database
from jobgraph.settings import get_settings


def _manifest(path: Path) -> dict[str, str]:
    """A manifest's documents by their ids: a JSON list of documents, or an object mapping
    sha256:<hex> ids to documents (each id checked against its document)."""
    from jobgraph.identity.trusted_documents import document_id

    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{path} is not a JSON manifest ({error}): write a list of documents.")
    documents = list(content.values()) if isinstance(content, dict) else content
    if not isinstance(documents, list) or not all(isinstance(text, str) for text in documents):
        fail(f"{path}: write a JSON list of documents (strings), or an object of id: document.")
    if isinstance(content, dict):
        wrong = [key for key, text in content.items() if document_id(text) != key]
        if wrong:
            fail(f"{len(wrong)} id(s) do not match their document, e.g. {wrong[0]}")
    return {document_id(text): text for text in documents}


@main.group(help="Trusted documents of partner clients.")
def documents() -> None:
    pass


@documents.command(
    "register",
    help="Register a manifest's documents for a client of a tenant. TENANT: the site's slug. "
    "CLIENT: a site key's id (a UUID: the console's Site settings, or `{ siteKeys { id } }`) "
    "or an OAuth client's id (cl_...). MANIFEST: a JSON list of documents, or an object "
    "mapping sha256:<hex> ids to documents (the ids are checked).",
)
@click.argument("tenant")
@click.argument("client")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def documents_register(tenant: str, client: str, manifest: Path) -> None:
    from jobgraph.errors import JobgraphError

    texts = _manifest(manifest)
    settings = get_settings()

    async def register(sessions: Any) -> list[str]:
        from jobgraph.db.engine import bind_pool
        from jobgraph.identity import trusted_documents as trusted
        from jobgraph.identity.partners import actor_of_client

        registry = await load_registry(sessions)
        found = registry.get(tenant)
        if found is None:
            known = ", ".join(site.slug for site in registry.tenants())
            raise ValueError(f"No tenant '{tenant}': the tenants are {known}.")
        async with sessions() as session, session.begin():
            bind_pool(session, found.pool_id)
            actor = await actor_of_client(session, found, client)
            return await trusted.register(session, found, actor, list(texts.values()), "cli")

    try:
        with provisioned_database(settings, detail) as urls:
            ids = Steps(1).run(
                f"Registering {len(texts)} document(s) for {client} on {tenant}",
                lambda: run_async(with_app_engine(urls, settings, register)),
            )
    except JobgraphError as error:
        fail(
            f"{error} CLIENT is a site key's id (a UUID: the console's site keys, or "
            "`{ siteKeys { id } }`) or an OAuth client's id (cl_...)."
        )
    except ValueError as error:
        fail(error)
    for registered in ids:
        click.echo(registered)


@main.group(help="The keys that sign access tokens.")
def keys() -> None:
    pass


@keys.command(
    "rotate",
    help="Make a new signing key; older keys verify until their tokens "
    "expire, so nobody is signed out.",
)
def keys_rotate() -> None:
    settings = get_settings()

    async def rotate(sessions: Any) -> str:
        from jobgraph.identity.keys import KeyRing

        return await KeyRing(sessions, settings).rotate()

    with provisioned_database(settings, detail) as urls:
        kid = Steps(1).run(
            "Rotating the signing key", lambda: run_async(with_app_engine(urls, settings, rotate))
        )
    click.echo(f"new signing key: {kid}")


@main.group(help="Platform operators (they act on every tenant).")
def operators() -> None:
    pass


@operators.command(
    "create",
    help="Create an operator, or set a new password for one; either way enrols a new "
    "second factor and shows it once (a QR code for an authenticator app, recovery codes).",
)
@click.argument("email")
@click.password_option(
    envvar="JOBGRAPH_OPERATOR_PASSWORD",
    help="Prompted for unless given (or JOBGRAPH_OPERATOR_PASSWORD).",
)
def operators_create(email: str, password: str) -> None:
    from jobgraph.errors import BadUserInput
    from jobgraph.identity.accounts import check_email, check_password

    try:
        check_password(password, check_email(email))
    except BadUserInput as error:
        fail(error)
    settings = get_settings()

    async def create(sessions: Any) -> tuple[str, list[str]]:
        import pyotp
        from sqlalchemy import select

        from jobgraph.identity.emails import normalize_email
        from jobgraph.identity.models import Operator
        from jobgraph.identity.passwords import hash_password
        from jobgraph.identity.second_factor import enrol_now

        async with sessions() as session, session.begin():
            operator = await session.scalar(
                select(Operator).where(Operator.email_normalized == normalize_email(email))
            )
            if operator is None:
                operator = Operator(email_normalized=normalize_email(email))
                session.add(operator)
            operator.password_hash = hash_password(password)
            secret = pyotp.random_base32()
            return secret, enrol_now(operator, settings.secret_key, secret)

    with provisioned_database(settings, detail) as urls:
        secret, recovery_codes = Steps(1).run(
            f"Saving operator {email}", lambda: run_async(with_app_engine(urls, settings, create))
        )
    _show_second_factor(email, secret, recovery_codes)


def _show_second_factor(email: str, secret: str, recovery_codes: list[str]) -> None:
    """An operator's new second factor, shown once: scan the QR code (or type the secret)
    into an authenticator app; keep the recovery codes somewhere safe."""
    from jobgraph.identity.second_factor import provisioning_uri, qr_code

    uri = provisioning_uri(secret, email, "jobgraph operators")
    click.echo("Second factor (operators sign in with its code): scan this with an app,")
    qr_code(uri).terminal(compact=True)
    click.echo(f"or type the secret {secret}.")
    click.echo("Recovery codes (each works once, instead of the app): " + " ".join(recovery_codes))
