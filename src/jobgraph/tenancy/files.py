"""Reading and validating the tenant files in ``tenants/`` (one TOML file per tenant).

Every file is checked on its own (the schema in ``config.py``) and then all together
(unknown or nested parents, duplicate slugs and hostnames, partner sites disclosing more than
their main site). Either all files are valid or nothing is returned: the caller never
applies half a directory.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from jobgraph.tenancy.config import TenantConfig, located_problems, parent_problems


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class TenantConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the tenant configuration:\n{lines}")


def load_tenant_dir(directory: Path) -> list[TenantConfig]:
    """All tenant files of ``directory``, validated; parents come before their partners."""
    if not directory.is_dir():
        raise TenantConfigError([Problem(str(directory), "(directory)", "no such directory")])
    configs: dict[str, TenantConfig] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.toml")):
        config, file_problems = parse_tenant_file(path)
        problems += file_problems
        if config is None:
            continue
        if config.slug in configs:
            problems.append(
                Problem(
                    path.name, "slug", f"'{config.slug}' is also the slug of {origin[config.slug]}"
                )
            )
            continue
        configs[config.slug] = config
        origin[config.slug] = path.name
    problems += _cross_file_problems(configs, origin)
    if problems:
        raise TenantConfigError(problems)
    return sorted(configs.values(), key=lambda config: (config.parent is not None, config.slug))


def parse_tenant_file(path: Path) -> tuple[TenantConfig | None, list[Problem]]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(path.name, "(syntax)", f"not valid TOML: {error}")]
    try:
        config = TenantConfig.model_validate(document)
    except ValidationError as error:
        return None, [Problem(path.name, key, rule) for key, rule in located_problems(error)]
    if config.slug != path.stem:
        return None, [
            Problem(path.name, "slug", f"'{config.slug}' must match the file name '{path.stem}'")
        ]
    return config, []


def _cross_file_problems(configs: dict[str, TenantConfig], origin: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    hostname_owner: dict[str, str] = {}
    for slug, config in configs.items():
        for index, hostname in enumerate(config.hostnames):
            if hostname in hostname_owner:
                problems.append(
                    Problem(
                        origin[slug],
                        f"hostnames[{index}]",
                        f"'{hostname}' is also a hostname of {origin[hostname_owner[hostname]]}",
                    )
                )
            else:
                hostname_owner[hostname] = slug
        parent = configs.get(config.parent) if config.parent else None
        problems += [
            Problem(origin[slug], key, rule) for key, rule in parent_problems(config, parent)
        ]
    return problems
