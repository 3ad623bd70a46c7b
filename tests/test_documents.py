"""The manuals say what the code does: each table drawn from code names exactly what the
code has (operations.md's settings here; privacy.md's staff powers in
tests/resumes/test_partner_boundary.py; tenants.md's policy keys in
tests/test_tenant_files.py)."""

from __future__ import annotations

import re

from pydantic import AliasChoices

from jobgraph.settings import PROJECT_ROOT, Settings


def _variable(name: str, alias: object) -> str:
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"JOBGRAPH_{name.upper()}"


def test_operations_md_lists_every_setting_and_no_other():
    manual = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = manual.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = {
        name
        for row in re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", table, re.MULTILINE)
        for name in row
        if name
    }
    settings = {
        _variable(name, field.validation_alias) for name, field in Settings.model_fields.items()
    }
    assert sorted(settings - documented) == [], "settings operations.md does not list"
    assert sorted(documented - settings) == [], "rows of operations.md no setting reads"
