"""E-mail addresses: one normal form, so an address is unique within a pool however typed."""


def normalize_email(address: str) -> str:
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}".lower()
