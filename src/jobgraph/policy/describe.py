"""Each policy key described from the policy's own model (``policy/config.py``): its kind,
bounds, choices, default and what it does, in English or Japanese. The settings screen
draws a control for each from this, and docs/tenants.md's table of keys is this table (a
test holds them equal), so a key added to the model is on both without another edit."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

from jobgraph.policy.config import Policy

# What a key's control is: a checkbox; a number with its bounds; one of a set; any of a
# set; a list of strings (rows to add and remove); a line of text; a group of keys of its
# own (api, feed); anything else as JSON.
KINDS = ("boolean", "number", "choice", "choices", "list", "text", "group", "json")


def policy_keys(language: str = "en") -> tuple[dict[str, Any], ...]:
    """Every policy key, in the model's order, for a screen in ``language`` (``ja``, else
    English): ``key`` (dotted, as problems name it), ``kind``, ``description``, ``default``,
    ``nullable`` (empty means "not set"), and by kind ``minimum``/``maximum``/``integer``,
    ``values`` or ``keys`` (a group's own)."""
    return _DESCRIBED.get(language, _DESCRIBED["en"])


def _described(japanese: bool) -> tuple[dict[str, Any], ...]:
    schema = Policy.model_json_schema()
    return tuple(_keys(schema, schema, Policy().model_dump(mode="json"), "", japanese))


def _keys(
    root: dict[str, Any],
    model: dict[str, Any],
    defaults: dict[str, Any] | None,
    prefix: str,
    japanese: bool,
) -> list[dict[str, Any]]:
    described = []
    for name, field in model["properties"].items():
        key = f"{prefix}{name}"
        shape, nullable = _without_null(root, field)
        default = (defaults or {}).get(name)
        entry: dict[str, Any] = {
            "key": key,
            "description": field.get("description_ja" if japanese else "description", ""),
            "default": default,
            "nullable": nullable,
        }
        if "properties" in shape:
            entry |= {"kind": "group", "keys": _keys(root, shape, default, f"{key}.", japanese)}
        elif shape.get("type") == "boolean":
            entry["kind"] = "boolean"
        elif shape.get("type") in ("integer", "number"):
            entry |= {
                "kind": "number",
                "integer": shape["type"] == "integer",
                "minimum": shape.get("minimum"),
                "above": shape.get("exclusiveMinimum"),  # more than this, not equal
                "maximum": shape.get("maximum"),
            }
        elif "enum" in shape:
            entry |= {"kind": "choice", "values": shape["enum"]}
        elif shape.get("type") == "array":
            items = _resolved(root, shape["items"])
            if "enum" in items:
                entry |= {"kind": "choices", "values": items["enum"]}
            else:
                entry |= {"kind": "list", "pattern": items.get("pattern")}
        elif shape.get("type") == "string":
            entry["kind"] = "text"
        else:
            entry["kind"] = "json"
        described.append(entry)
    return described


def _without_null(root: dict[str, Any], field: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    options = field.get("anyOf")
    if options is None:
        return _resolved(root, field), False
    [shape] = [option for option in options if option.get("type") != "null"]
    return _resolved(root, shape), True


def _resolved(root: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in shape:
        found: dict[str, Any] = root["$defs"][shape["$ref"].rsplit("/", 1)[-1]]
        return found
    return shape


def policy_key_table() -> str:
    """The Markdown table of docs/tenants.md's "What each policy key changes"."""
    rows = ["| key | what it does | values (default) |", "|---|---|---|"]

    def add(entries: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> None:
        for entry in entries:
            rows.append(f"| `{entry['key']}` | {entry['description']} | {_values(entry)} |")
            if entry["kind"] == "group":
                add(entry["keys"])

    add(policy_keys("en"))
    return "\n".join(rows)


def _values(entry: dict[str, Any]) -> str:
    kind = entry["kind"]
    if kind == "group":
        return "its own keys, below" + (" (default: not set)" if entry["nullable"] else "")
    if kind == "number":
        bounds = [
            f"at least {entry['minimum']}" if entry["minimum"] is not None else "",
            f"more than {entry['above']}" if entry["above"] is not None else "",
            f"at most {entry['maximum']}" if entry["maximum"] is not None else "",
        ]
        what = "a whole number" if entry["integer"] else "a number"
        described = ", ".join([what, *filter(None, bounds)])
    elif kind in ("choice", "choices"):
        one = "one of" if kind == "choice" else "any of"
        described = f"{one} {', '.join(f'`{value}`' for value in entry['values'])}"
    else:
        described = {
            "boolean": "`true` or `false`",
            "list": "a list of strings",
            "text": "a string",
            "json": "a list of labels per attribute",
        }[kind]
    default = entry["default"]
    if entry["nullable"] and default is None:
        shown = "not set"
    elif isinstance(default, bool):
        shown = f"`{str(default).lower()}`"
    elif isinstance(default, list) and default and default == entry.get("values"):
        shown = "all"
    elif isinstance(default, list):
        shown = ", ".join(f"`{value}`" for value in default) or "none"
    elif isinstance(default, dict):
        shown = ", ".join(f"`{name}`: {len(labels)} labels" for name, labels in default.items())
    else:
        shown = f"`{default}`"
    return f"{described} ({shown})"


# Made once, at import, from the code alone (the model and its descriptions).
_DESCRIBED: Final = MappingProxyType({"en": _described(False), "ja": _described(True)})
