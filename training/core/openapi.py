"""The OpenAPI document says exactly what each operation answers, derived in one place.

Every route's error answers, content types and security come from `document(app, auth)`, run once by the
composition root over the app's own route table, so a route added later is documented the same way without
touching it. What a route may answer follows from its shape:

- every operation may answer 503 (database unavailable) as problem+json;
- an operation behind the token: 401 (no or bad token) and 403 (role or scope refuses it);
- any path, query or body parameter: 400 (malformed, listing each field) and 422 (a rule refused the value);
- any parameter or body, which may name an object or region: 404 (missing, or outside the caller's scope);
- a state change (POST, PUT, PATCH, DELETE): 409 (conflict with stored data or the object's status) and 422;
  with a body also 413 (too large);
- whatever a handler adds in `opt={"problems": (429,)}`.

Request bodies are msgspec Structs with `forbid_unknown_fields`, documented `additionalProperties: false`, and
item constraints of arrays (`list[RegionCode]`) are documented on the items; Litestar drops both otherwise.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import OpenAPISchemaPlugin
from litestar.response import Response
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition
from msgspec import UNSET, UnsetType

from training.core.errors import PROBLEM_JSON, FieldError

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.security.jwt import JWTAuth

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECURITY_SCHEME = "BearerToken"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An error answer (RFC 9457). Extension members beyond these may appear."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | UnsetType = UNSET
    rules: list[dict[str, str]] | UnsetType = UNSET
    constraint: str | UnsetType = UNSET
    reference: str | UnsetType = UNSET


DESCRIPTIONS: Mapping[int, str] = {
    400: "请求格式或参数有误：errors 逐项列出字段路径与原因",
    401: "未登录、令牌无效或已过期（登录接口：用户名或密码错误）",
    403: "您的角色或权限范围不允许此操作",
    404: "对象不存在，或不在您的权限范围内",
    409: "与已有数据或对象当前状态冲突",
    413: "请求内容过大",
    422: "数据不符合业务规则：errors 或 rules 说明原因",
    429: "请求过于频繁，请稍后再试",
    503: "数据库暂时不可用，请稍后重试",
}


@dataclass(frozen=True)
class Shape:
    """What the documentation needs to know about one operation."""

    method: str
    token: bool
    path_params: bool
    query_params: bool
    body: bool
    extra: tuple[int, ...] = ()


def problems_for(shape: Shape) -> list[int]:
    """The error statuses an operation of this shape may answer (see the module docstring)."""
    statuses = {503, *shape.extra}
    if shape.token:
        statuses |= {401, 403}
    if shape.path_params or shape.query_params or shape.body:
        statuses |= {400, 422}
    if shape.path_params or shape.query_params or shape.body:
        statuses.add(404)
    if shape.method in WRITES:
        statuses |= {409, 422}
        if shape.body:
            statuses.add(413)
    return sorted(statuses)


def problem_responses(statuses: Iterable[int]) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(ProblemDetails, description=DESCRIPTIONS[status], media_type=PROBLEM_JSON,
                                 generate_examples=False) for status in statuses}


def _needs_token(handler: HTTPRouteHandler, path: str, auth: JWTAuth[Any, Any]) -> bool:
    """The same decision the auth middleware makes: excluded by path pattern or by the handler's opt."""
    if handler.opt.get(auth.exclude_opt_key):
        return False
    patterns = [auth.exclude] if isinstance(auth.exclude, str) else list(auth.exclude or [])
    return not any(re.search(p, path) for p in patterns)


def shape_of(route: HTTPRoute, handler: HTTPRouteHandler, method: str, auth: JWTAuth[Any, Any]) -> Shape:
    dependencies = set(handler.resolve_dependencies())
    names = set(handler.parsed_fn_signature.parameters) - dependencies - RESERVED_KWARGS - set(route.path_parameters)
    extra = tuple(handler.opt.get("problems", ()))
    return Shape(method=method, token=_needs_token(handler, route.path, auth), path_params=bool(route.path_parameters),
                 query_params=bool(names), body="data" in handler.parsed_fn_signature.parameters, extra=extra)


def _returns_workbook(handler: HTTPRouteHandler) -> tuple[bool, bool]:
    """(only a workbook, a workbook or JSON): every `Response[bytes]` this API returns is an .xlsx file."""
    annotation = handler.parsed_fn_signature.return_type.annotation
    options = typing.get_args(annotation) if typing.get_origin(annotation) in (typing.Union, _UnionType) else (
        annotation,)
    workbook = [o for o in options if typing.get_origin(o) is Response and typing.get_args(o) == (bytes,)]
    return bool(workbook) and len(workbook) == len(options), bool(workbook) and len(workbook) < len(options)


_UnionType = type(int | str)


def _operation_class(json_too: bool, workbook_only: bool) -> type[Operation]:
    """Litestar's hook for adjusting a generated operation: the success answer's content types."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if not status.startswith("2") or isinstance(response, Mapping):
                    continue
                content = getattr(response, "content", None) or {}
                binary = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, content_media_type=XLSX))
                if workbook_only:
                    response.content = {XLSX: binary}  # type: ignore[union-attr]
                elif json_too:
                    for media in content.values():
                        # `Page | Response[bytes]` documents the bytes as an empty schema: keep the JSON one.
                        schema = media.schema
                        if isinstance(schema, Schema) and schema.one_of:
                            kept = [s for s in schema.one_of if not (isinstance(s, Schema) and s == Schema())]
                            media.schema = kept[0] if len(kept) == 1 else Schema(one_of=kept)
                    response.content = {**content, XLSX: binary}  # type: ignore[union-attr]

    return DocumentedOperation


def document(app: Litestar, auth: JWTAuth[Any, Any]) -> None:
    """Give every route its documented error answers, security and content types. Call once, after the
    app is built and before its schema is first served."""
    if app.openapi_config is not None:
        # The token is required per operation, not globally: /health, login and the docs need none.
        app.openapi_config.security = None
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            methods = sorted(handler.http_methods)
            shape = shape_of(route, handler, methods[0], auth)
            documented = problem_responses(problems_for(shape))
            handler.responses = {**documented, **(handler.responses or {})}
            handler.security = [{SECURITY_SCHEME: []}] if shape.token else None
            workbook_only, json_too = _returns_workbook(handler)
            if workbook_only or json_too:
                handler.operation_class = _operation_class(json_too, workbook_only)


class StrictStructSchemaPlugin(OpenAPISchemaPlugin):
    """msgspec Structs as Litestar documents them, plus what it leaves out: `additionalProperties: false`
    for structs that refuse unknown fields, and the constraints of array items (`list[RegionCode]`)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(msgspec.Struct)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin

        schema = StructSchemaPlugin().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        for field in info.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            if isinstance(prop, Schema):
                _constrain(prop, field.type)
        return schema


_KINDS: dict[type, str] = {
    msgspec.inspect.IntType: "integer", msgspec.inspect.FloatType: "number", msgspec.inspect.StrType: "string",
    msgspec.inspect.ListType: "array", msgspec.inspect.SetType: "array", msgspec.inspect.FrozenSetType: "array",
    msgspec.inspect.VarTupleType: "array",
}
# msgspec's constraint -> the OpenAPI Schema attribute, by kind of value.
_CONSTRAINTS: dict[str, dict[str, str]] = {
    "integer": {"ge": "minimum", "le": "maximum", "gt": "exclusive_minimum", "lt": "exclusive_maximum",
                "multiple_of": "multiple_of"},
    "string": {"pattern": "pattern", "min_length": "min_length", "max_length": "max_length"},
    "array": {"min_length": "min_items", "max_length": "max_items"},
}
_CONSTRAINTS["number"] = _CONSTRAINTS["integer"]
_ALL_ATTRIBUTES = {a for names in _CONSTRAINTS.values() for a in names.values()}


def _kind(node: Schema) -> str | None:
    kinds = node.type if isinstance(node.type, list) else [node.type] if node.type is not None else []
    names = {str(getattr(k, "value", k)) for k in kinds} - {"null"}
    return names.pop() if len(names) == 1 else None


def _constrain(node: Schema, tp: msgspec.inspect.Type) -> None:
    """Write msgspec's constraints of a field onto its documented schema, exactly. Litestar drops some: zero
    bounds of optional fields (`ge=0`), the constraints of array items (`list[RegionCode]`), and it puts an
    optional field's constraints beside its `oneOf` options, where request generators do not look."""
    tp = _bare(tp)
    if isinstance(tp, msgspec.inspect.UnionType):
        options = [o for o in node.one_of or [] if isinstance(o, Schema)]
        for option_type in tp.types:
            kind = _KINDS.get(type(_bare(option_type)))
            for option in options or [node]:
                if kind is not None and _kind(option) == kind:
                    _constrain(option, option_type)
        if options:
            for attribute in _ALL_ATTRIBUTES:
                setattr(node, attribute, None)
        return
    kind = _KINDS.get(type(tp))
    if kind is None or _kind(node) != kind:
        return
    for constraint, attribute in _CONSTRAINTS[kind].items():
        value = getattr(tp, constraint, None)
        if value is not None:
            setattr(node, attribute, value)
    if kind == "array" and isinstance(node.items, Schema):
        _constrain(node.items, tp.item_type)  # type: ignore[attr-defined]


def _bare(tp: msgspec.inspect.Type) -> msgspec.inspect.Type:
    while isinstance(tp, msgspec.inspect.Metadata):
        tp = tp.type
    return tp
