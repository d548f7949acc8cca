"""A small JSON Schema checker for the keywords docs/*.schema.json use (type, enum, required,
properties, additionalProperties, items, minimum, pattern, $ref to #/$defs): enough to test
senrun's JSON reports against their documented schema without another dependency."""

from __future__ import annotations

import re

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def problems(value, schema: dict, root: dict | None = None, at: str = "$") -> list[str]:
    """Every place where `value` does not meet `schema`, as 'path: what'."""
    root = root or schema
    if "$ref" in schema:
        return problems(value, root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root, at)
    out: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_is(value, t) for t in names):
            return [f"{at}: {value!r} is not {' or '.join(names)}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: {value!r} not one of {schema['enum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{at}: '{k}' is required" for k in schema.get("required", []) if k not in value]
        for k, v in value.items():
            if k in props:
                out += problems(v, props[k], root, f"{at}.{k}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{at}: '{k}' is not allowed")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            out += problems(v, schema["items"], root, f"{at}[{i}]")
    if "minimum" in schema and _is(value, "number") and value < schema["minimum"]:
        out.append(f"{at}: {value} < {schema['minimum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        out.append(f"{at}: {value!r} does not match {schema['pattern']}")
    return out
