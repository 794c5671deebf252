"""Reading the JSON of a record the way every reader of it must: keys in any case (older
records and some services vary it: `DBInstanceIdentifier`, `dBInstanceIdentifier`,
`vPCSecurityGroupIds`), and booleans as JSON or as the strings LookupEvents and some
exports write for them."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["find_key", "get_key", "json_bool"]


def find_key(obj: object, key: str) -> tuple[str, object] | None:
    """(the key as the object spells it, its value) for `key` in a JSON object: the exact
    spelling first, then any case; None when absent or `obj` is no object."""
    if not isinstance(obj, Mapping):
        return None
    if key in obj:
        return key, obj[key]
    folded = key.lower()
    for actual, value in obj.items():
        if isinstance(actual, str) and actual.lower() == folded:
            return actual, value
    return None


def get_key(obj: object, key: str) -> object:
    """The value of `key` in a JSON object in any case, or None."""
    found = find_key(obj, key)
    return None if found is None else found[1]


def json_bool(value: object) -> bool | None:
    """A JSON boolean, or "true"/"false" in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    return None
