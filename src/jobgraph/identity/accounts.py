"""Accounts of a pool: the rules of their addresses and passwords, password sign-in,
password change."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from zxcvbn import zxcvbn

from jobgraph.errors import BadUserInput, Unauthenticated
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account, Operator
from jobgraph.identity.passwords import hash_password, needs_rehash, verify_password
from jobgraph.tenancy.registry import Tenant

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
# zxcvbn's estimate, 0 (guessed at once) to 4: at least 3 (over 10^8 guesses offline).
MIN_PASSWORD_SCORE = 3
# Verifying against this when no account matches keeps the answer time the same.
_DUMMY_HASH = hash_password("no account has this password, it only costs time")
WRONG_CREDENTIALS = (
    "The e-mail address or the password is wrong (a new account signs in once its address "
    "is confirmed with the code we e-mailed)."
)


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise BadUserInput(f"'{email[:80]}' is not an e-mail address.", field="email")
    return email


def check_password(password: str, email: str, site_words: Iterable[str] = ()) -> None:
    """Long enough, and hard to guess by zxcvbn's estimate (its lists of common passwords,
    words, names, keyboard patterns and dates), given the e-mail address and the site's
    own words (name, slug, hostnames), which an attacker would try first."""
    if len(password) < MIN_PASSWORD_LENGTH:
        problem = f"must have at least {MIN_PASSWORD_LENGTH} characters"
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = f"must have at most {MAX_PASSWORD_LENGTH} characters"
    elif email.split("@")[0].lower() in password.lower():
        problem = "must not contain your e-mail address"
    else:
        # The first 72 characters (zxcvbn's bound): a longer password is no weaker.
        estimate = zxcvbn(password[:72], user_inputs=_guessable([email, *site_words]))
        if estimate["score"] >= MIN_PASSWORD_SCORE:
            return
        feedback = estimate["feedback"]
        why = feedback["warning"] or "It would be guessed quickly."
        problem = (
            f"is too easy to guess. {why} Use a few unrelated words, or a phrase only you "
            "would think of (the site's name, your address and years do not help)"
        )
    raise BadUserInput(f"The password {problem}.", field="password")


def _guessable(texts: Iterable[str]) -> list[str]:
    """Each text, its words, and its words run together ("Japan Job Board", "Japan",
    "JapanJobBoard"): zxcvbn matches its user inputs as whole tokens."""
    words: set[str] = set()
    for text in texts:
        parts = [part for part in re.split(r"[^0-9A-Za-z]+", text) if part]
        words.update([text, "".join(parts), *parts])
    return sorted(word for word in words if word)


def site_words(tenant: Tenant) -> list[str]:
    """What a site's own name gives an attacker to guess with."""
    config = tenant.config
    return [tenant.slug, config.name, config.branding.site_name, *config.hostnames]


async def find_by_email(db: AsyncSession, email: str) -> Account | None:
    return await db.scalar(
        select(Account).where(Account.email_normalized == normalize_email(email))
    )


async def current(db: AsyncSession, tenant: Tenant, account_id: uuid.UUID) -> Account:
    """The signed-in account (its token may outlive it)."""
    account = await db.get(Account, (tenant.pool_id, account_id))
    if account is None:
        raise Unauthenticated("This account no longer exists.")
    return account


async def confirmed_by_password(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, password: str
) -> Account:
    """The signed-in account, if ``password`` is its password (to confirm a grave act)."""
    account = await db.get(Account, (tenant.pool_id, account_id))
    if account is None or (
        account.password_hash is not None and not verify_password(account.password_hash, password)
    ):
        raise BadUserInput("The password is wrong.", field="password")
    return account


def check_registration(
    tenant: Tenant, email: str, password: str, full_name: str | None
) -> tuple[str, str | None]:
    """The same checks whether or not the address has an account: the e-mail address and
    the full name as they will be kept."""
    email = check_email(email)
    check_password(password, email, site_words(tenant))
    full_name = (full_name or "").strip() or None
    if tenant.config.policy.signup_requires_full_name and not full_name:
        raise BadUserInput("This site asks for your full name to sign up.", field="fullName")
    if full_name and len(full_name) > 200:
        raise BadUserInput("The full name must have at most 200 characters.", field="fullName")
    return email, full_name


def spend_hashing_time(password: str) -> None:
    """As long as hashing a new password or checking a wrong one: where no account
    matches, the answer must take the time it would have taken."""
    verify_password(_DUMMY_HASH, password)


async def authenticate_operator(db: AsyncSession, email: str, password: str) -> Operator:
    operator = await db.scalar(
        select(Operator).where(Operator.email_normalized == normalize_email(email))
    )
    if operator is None:
        spend_hashing_time(password)
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not verify_password(operator.password_hash, password):
        raise Unauthenticated(WRONG_CREDENTIALS)
    return operator


async def authenticate(db: AsyncSession, email: str, password: str) -> Account:
    account = await find_by_email(db, email)
    if account is None or account.password_hash is None:
        spend_hashing_time(password)
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not verify_password(account.password_hash, password):
        raise Unauthenticated(WRONG_CREDENTIALS)
    if account.email_confirmed_at is None:
        # Unconfirmed: answered as a wrong password, or signing in would tell whoever
        # registered an address whether it already had an account.
        raise Unauthenticated(WRONG_CREDENTIALS)
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


async def change_password(
    db: AsyncSession, tenant: Tenant, account: Account, current: str, new: str
) -> None:
    if account.password_hash is None or not verify_password(account.password_hash, current):
        raise BadUserInput("The current password is wrong.", field="currentPassword")
    check_password(new, account.email, site_words(tenant))
    account.password_hash = hash_password(new)


async def actor_names(db: AsyncSession, actors: list[str]) -> dict[str, str]:
    """Each actor of a tenant's history in words: accounts and operators by their e-mail
    address (two statements at most), a file by its name. Tenancy asks it through
    ``TenancyHooks``."""
    ids: dict[str, list[uuid.UUID]] = {"account": [], "operator": []}
    names: dict[str, str] = {}
    for actor in set(actors):
        kind, _, value = actor.partition(":")
        if kind == "file":
            names[actor] = value
        elif kind in ids:
            with contextlib.suppress(ValueError):
                ids[kind].append(uuid.UUID(value))
    for kind, model, email in (
        ("account", Account, Account.email),
        ("operator", Operator, Operator.email_normalized),
    ):
        if ids[kind]:
            found = await db.execute(select(model.id, email).where(model.id.in_(ids[kind])))
            names.update({f"{kind}:{row[0]}": row[1] for row in found})
    return names
