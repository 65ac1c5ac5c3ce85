"""The API reference page: the generated OpenAPI document turned into plain rows for a
server-rendered template (no JavaScript, no CDN: the Content-Security-Policy allows only this
origin and no inline scripts)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
REF = "#/components/schemas/"


@dataclass
class Row:
    """One parameter or property: name, where, type, constraints, description, example."""

    name: str
    where: str
    type: str
    required: bool
    constraints: str = ""
    description: str = ""
    example: str = ""


@dataclass
class Reply:
    status: str
    description: str
    media: str = ""
    schema: str = ""


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    tags: list[str]
    security: list[str]
    fields: list[Row] = field(default_factory=list)
    body: str = ""
    replies: list[Reply] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass
class Schema:
    name: str
    description: str
    fields: list[Row]
    example: str = ""

    @property
    def anchor(self) -> str:
        return f"schema-{self.name}"


def type_of(schema: dict[str, Any]) -> str:
    """A short type name: ``integer``, ``string``, ``array of EntryOut``, ``OrgOut | null``."""
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF)
    if "anyOf" in schema:
        return " | ".join(type_of(s) for s in schema["anyOf"])
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " | ".join(kind)
    return str(kind)


def constraints_of(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (
        ("pattern", "pattern"),
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("default", "default"),
    ):
        if key in schema:
            value = schema[key]
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            parts.append(f"{label} {shown}")
    return "; ".join(parts)


def _example(
    schema: dict[str, Any], holder: dict[str, Any] | None = None, indent: int | None = None
) -> str:
    for source in (holder or {}, schema):
        if "example" in source:
            return json.dumps(source["example"], ensure_ascii=False, indent=indent)
        if source.get("examples"):
            examples = source["examples"]
            first = examples[0] if isinstance(examples, list) else next(iter(examples.values()))
            return json.dumps(first, ensure_ascii=False, indent=indent)
    return ""


def _media_schema(content: dict[str, Any]) -> tuple[str, str]:
    for media, item in content.items():
        return media, type_of(item.get("schema", {}))
    return "", ""


def operations(doc: dict[str, Any]) -> list[Operation]:
    """Every operation of ``doc``, in path order, with its parameters and replies."""
    out = []
    for path, item in sorted(doc.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            security = [name for req in op.get("security", []) for name in req]
            operation = Operation(
                method=method.upper(),
                path=path,
                operation_id=op.get("operationId", f"{method}-{path}"),
                summary=op.get("summary", ""),
                description=op.get("description", ""),
                tags=op.get("tags", []),
                security=security,
            )
            for p in op.get("parameters", []):
                schema = p.get("schema", {})
                operation.fields.append(
                    Row(
                        name=p["name"],
                        where=p["in"],
                        type=type_of(schema),
                        required=bool(p.get("required")),
                        constraints=constraints_of(schema),
                        description=p.get("description", schema.get("description", "")),
                        example=_example(schema, p),
                    )
                )
            body = op.get("requestBody", {}).get("content", {})
            if body:
                media, name = _media_schema(body)
                operation.body = f"{name} ({media})"
            for status, reply in sorted(op.get("responses", {}).items()):
                media, name = _media_schema(reply.get("content", {}))
                operation.replies.append(Reply(status, reply.get("description", ""), media, name))
            out.append(operation)
    return out


def components(doc: dict[str, Any]) -> list[Schema]:
    """Every schema of ``doc``'s components, by name, with its properties."""
    out = []
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        fields = [
            Row(
                name=prop,
                where="",
                type=type_of(sub),
                required=prop in required,
                constraints=constraints_of(sub),
                description=sub.get("description", ""),
                example=_example(sub),
            )
            for prop, sub in schema.get("properties", {}).items()
        ]
        out.append(Schema(name, schema.get("description", ""), fields, _example(schema, indent=2)))
    return out
