"""Errors: every failure leaves the service as application/problem+json (RFC 9457).

Validation problems carry `errors`, one item per bad field: `{"field", "message", "location"}`, where
`field` is the path in the request (`teacher_ids[1]`) and `message` is Chinese text a clerk can act on.
Request bodies are checked field by field, so one answer lists every bad field, not just the first.
"""

from __future__ import annotations

import logging
import re
import traceback
import typing
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions import NotFoundException as LitestarNotFound
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from training.core import db
from training.core.text import quoted

log = logging.getLogger("training.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str
    location: str = "body"


class Problem(Exception):
    """A failure the caller can understand and act on."""

    status = 400
    title = "请求有误"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra
        self.headers: dict[str, str] = {}  # e.g. Retry-After

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status,
                                "detail": self.detail}
        if self.errors:
            body["errors"] = [msgspec.structs.asdict(e) for e in self.errors]
        body.update(self.extra)
        return body


class InvalidInput(Problem):
    status = 422
    title = "数据不符合要求"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "；".join(f"{e.field}：{e.message}" for e in errors), errors=errors)


class RuleViolation(Problem):
    """A business rule refused the action; `rules` names each rule that failed."""

    status = 422
    title = "不满足业务规则"

    def __init__(self, detail: str, rules: list[dict[str, str]]) -> None:
        super().__init__(detail, rules=rules)


class Unauthenticated(Problem):
    status = 401
    title = "登录失败"


class NotFound(Problem):
    status = 404
    title = "未找到"


class Forbidden(Problem):
    status = 403
    title = "无权操作"


class Conflict(Problem):
    status = 409
    title = "与已有数据冲突"


# ------------------------------------------------------------------ msgspec messages in Chinese

_TYPE_NAMES = {
    "int": "整数", "float": "数字", "str": "文本", "bool": "是/否（true/false）", "array": "列表",
    "object": "对象", "null": "空值", "uuid": "UUID 编号", "date": "日期（YYYY-MM-DD）",
    "datetime": "日期时间", "number": "数字",
}
UNPRINTABLE_ONLY = "只有看不见的控制字符或零宽字符，请填写内容"
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"Object missing required field `(?P<f>[^`]+)`"), lambda m: ("缺少必填字段", m["f"])),
    (re.compile(r"Object contains unknown field `(?P<f>[^`]+)`"), lambda m: ("不认识的字段，请删除", m["f"])),
    (re.compile(r"Only unprintable characters in `(?P<f>[^`]+)`"),
     lambda m: (UNPRINTABLE_ONLY, m["f"])),
    (re.compile(r"Expected `(?P<t>[^`]+)` >= (?P<n>[-\d.]+)"), lambda m: (f"不能小于 {m['n']}", None)),
    (re.compile(r"Expected `(?P<t>[^`]+)` > (?P<n>[-\d.]+)"), lambda m: (f"必须大于 {m['n']}", None)),
    (re.compile(r"Expected `(?P<t>[^`]+)` <= (?P<n>[-\d.]+)"), lambda m: (f"不能大于 {m['n']}", None)),
    (re.compile(r"Expected `(?P<t>[^`]+)` < (?P<n>[-\d.]+)"), lambda m: (f"必须小于 {m['n']}", None)),
    (re.compile(r"Expected `str` of length >= (?P<n>\d+)"), lambda m: (f"至少 {m['n']} 个字符", None)),
    (re.compile(r"Expected `str` of length <= (?P<n>\d+)"), lambda m: (f"最多 {m['n']} 个字符", None)),
    (re.compile(r"Expected `array` of length >= (?P<n>\d+)"), lambda m: (f"至少要有 {m['n']} 项", None)),
    (re.compile(r"Expected `array` of length <= (?P<n>\d+)"), lambda m: (f"最多只能有 {m['n']} 项", None)),
    (re.compile(r"Expected `str` matching regex"), lambda m: ("格式不正确", None)),
    (re.compile(r"Invalid enum value (?P<v>.+)"), lambda m: (f"不是可选的值：{quoted(m['v'])}", None)),
    (re.compile(r"Invalid enum value"), lambda m: ("不是可选的值", None)),
    (re.compile(r"Invalid (RFC3339|ISO 8601) encoded date"), lambda m: ("日期格式应为 YYYY-MM-DD", None)),
    (re.compile(r"Invalid (RFC3339|ISO 8601) encoded datetime"), lambda m: ("日期时间格式不正确", None)),
    (re.compile(r"Invalid UUID"), lambda m: ("不是有效的编号（UUID）", None)),
    (re.compile(r"Expected `(?P<t>[^`|]+?)\s*(\|[^`]*)?`, got `(?P<g>[^`]+)`"),
     lambda m: (f"应为{_TYPE_NAMES.get(m['t'], '其他类型的值')}，收到的是{_TYPE_NAMES.get(m['g'], '其他类型的值')}", None)),
]
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def _join(base: str, part: str) -> str:
    if not part:
        return base
    if part.startswith("["):
        return base + part
    part = part.lstrip(".")
    return f"{base}.{part}" if base else part


_ECHOED = re.compile(r"Invalid enum value .+")
_MISSING_PARAMETER = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']*)'")
_PARAMETER_KINDS = {"query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}


def translate(message: str, base: str = "", *, echo: bool = True) -> FieldError:
    """Turn one msgspec validation message into a FieldError with a Chinese message. Without `echo` the
    value is never quoted back (a query string may carry an ID number typed into the wrong box)."""
    path = base
    if at := _AT.search(message):
        path = _join(base, at["path"])
        message = message[: at.start()]
    if not echo:
        message = _ECHOED.sub("Invalid enum value", message)
    for pattern, make in _PATTERNS:
        if m := pattern.search(message):
            text, field = make(m)
            return FieldError(_join(path, field) if field else path or "(body)", text)
    return FieldError(path or "(body)", "内容不正确")


def _struct_fields(tp: type[msgspec.Struct]) -> list[tuple[str, str, Any, bool]]:
    """(attribute, wire name, annotation, required) for each field of a Struct."""
    hints = typing.get_type_hints(tp, include_extras=True)
    names = tp.__struct_fields__
    encoded = tp.__struct_encode_fields__
    n_required = len(names) - len(tp.__struct_defaults__)
    return [(n, e, hints[n], i < n_required) for i, (n, e) in enumerate(zip(names, encoded, strict=True))]


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def collect_errors(tp: Any, raw: Any, path: str = "") -> list[FieldError]:
    """Validate `raw` against `tp` and return every error, descending into structs and lists of them."""
    bare = _unwrap(tp)
    if isinstance(bare, type) and issubclass(bare, msgspec.Struct) and isinstance(raw, Mapping):
        errors: list[FieldError] = []
        fields = _struct_fields(bare)
        known = {wire for _, wire, _, _ in fields}
        if bare.__struct_config__.forbid_unknown_fields:
            errors += [FieldError(_join(path, str(k)), "不认识的字段，请删除") for k in raw if k not in known]
        for _, wire, annotation, required in fields:
            if wire not in raw:
                if required:
                    errors.append(FieldError(_join(path, wire), "缺少必填字段"))
                continue
            errors += collect_errors(annotation, raw[wire], _join(path, wire))
        if not errors:
            errors += _convert_errors(tp, raw, path)
        return errors
    origin = typing.get_origin(bare)
    if origin in (list, tuple) and isinstance(raw, list):
        args = typing.get_args(bare)
        item = args[0] if args else Any
        if typing.get_origin(_unwrap(item)) is None and isinstance(_unwrap(item), type) and issubclass(
            _unwrap(item), msgspec.Struct
        ):
            nested = [e for i, v in enumerate(raw) for e in collect_errors(item, v, f"{path}[{i}]")]
            if nested:
                return nested
    return _convert_errors(tp, raw, path)


def _convert_errors(tp: Any, raw: Any, path: str) -> list[FieldError]:
    try:
        msgspec.convert(raw, tp, strict=False)
    except msgspec.ValidationError as exc:
        return [translate(str(exc), path)]
    return []


# ------------------------------------------------------------------ exception handlers

def problem_response(body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response[Any]:
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def handle_problem(_: Request[Any, Any, Any], exc: Problem) -> Response[Any]:
    return problem_response(exc.body(), exc.status, exc.headers)


def _body_type(request: Request[Any, Any, Any]) -> Any:
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    except AttributeError:
        return None
    return parameter.annotation if parameter is not None else None


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors: list[FieldError] = []
    raw_items = exc.extra if isinstance(exc.extra, list) else []
    body_failed = False
    for item in raw_items:
        if not isinstance(item, Mapping):
            continue
        raw_source = item.get("source") or "body"
        source = str(getattr(raw_source, "value", raw_source))
        key = str(item.get("key") or "")
        if source == "body":
            body_failed = True
            continue
        err = translate(str(item.get("message", "")), key, echo=False)
        errors.append(FieldError(err.field, err.message, source))
    if body_failed and "multipart/form-data" in request.headers.get("content-type", ""):
        errors.insert(0, FieldError("file", "请用 multipart/form-data 上传一个 file 字段（.xlsx 台账），"
                                            "mode 为 valid_only 或 all_or_nothing"))
    elif body_failed or not raw_items:
        state = ScopeState.from_scope(request.scope)
        data_type = _body_type(request)
        body: Any = state.json
        if data_type is not None and not _is_empty(body):
            errors = collect_errors(data_type, body) + errors
        elif body_failed:
            errors.insert(0, FieldError("(body)", "请求内容为空：应为 JSON 对象，写出要填写或修改的字段"
                                        if _is_empty(body) else "请求内容应为 JSON 对象"))
    if not errors and (missing := _MISSING_PARAMETER.search(str(exc.detail))):
        # Litestar's message quotes the whole address, query string and all: only the name is kept.
        kind = missing["kind"]
        errors.append(FieldError(missing["name"], f"缺少必填的{_PARAMETER_KINDS.get(kind, '参数')}", kind))
    if not errors:
        # Never Litestar's own words: they are English and may quote the request.
        return problem_response({"type": "about:blank", "title": "请求有误", "status": 400,
                                 "detail": "请求的参数或内容不正确，请核对后再提交"}, 400)
    # Text of nothing but invisible characters fits the schema (which cannot say "visible"): refused like
    # any other content rule, 422, so a schema-valid request is never a 400.
    status = 422 if all(e.message == UNPRINTABLE_ONLY for e in errors) else 400
    return problem_response(
        {
            "type": "about:blank",
            "title": "请求数据有误",
            "status": status,
            "detail": "；".join(f"{e.field}：{e.message}" for e in errors),
            "errors": [msgspec.structs.asdict(e) for e in errors],
        },
        status,
    )


def _is_empty(value: Any) -> bool:
    """No body was sent (Litestar's `Empty` marker, whose type is `_EmptyEnum`)."""
    return value is Empty


_HTTP_TITLES = {
    400: "请求有误", 401: "未登录或登录已过期", 403: "无权操作", 404: "未找到", 405: "不支持该请求方法",
    409: "与已有数据冲突", 413: "上传内容过大", 415: "不支持的内容类型", 429: "请求过于频繁，请稍后再试",
}


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    detail = exc.detail
    if isinstance(exc, NotAuthorizedException):
        lowered = str(exc.detail).lower()
        if _has_cjk(exc.detail):
            pass
        elif "no jwt token" in lowered or "authorization" in lowered:
            detail = "请先登录（请求头需要 Authorization: Bearer 令牌）"
        else:
            detail = "令牌无效或已过期，请重新登录"
    elif isinstance(exc, PermissionDeniedException):
        detail = exc.detail if _has_cjk(exc.detail) else "您的角色无权进行此操作"
    elif isinstance(exc, LitestarNotFound):
        detail = "没有这个地址"
    elif not _has_cjk(str(detail)):  # a library's English (decoder, multipart parser, router): ours instead
        detail = malformed_body(str(detail)) if status == 400 else _HTTP_TITLES.get(status, "请求失败")
    body = {"type": "about:blank", "title": _HTTP_TITLES.get(status, "请求失败"), "status": status,
            "detail": detail}
    return problem_response(body, status, exc.headers)


# What the JSON decoder and the multipart parser say about a body they cannot read, in a clerk's words.
_MALFORMED = [
    (re.compile(r"truncated|unexpected eof|unexpected end", re.I),
     "请求内容不完整（可能在传输中被截断），请重新提交"),
    (re.compile(r"number out of range|integer out of range", re.I),
     "请求内容中的数字太大或太小，超出了允许的范围"),
    (re.compile(r"surrogate|utf-?8|unicode|escape", re.I),
     "请求内容含有无效的字符编码（应为 UTF-8 编码的文字），请检查后重新提交"),
    (re.compile(r"multipart|boundary", re.I),
     "上传的表单格式不正确：请用 multipart/form-data 上传文件（file 字段）"),
    (re.compile(r"content-length", re.I), "请求头 Content-Length 不正确"),
    (re.compile(r"host header", re.I), "请求头 Host 不正确"),
]
MALFORMED_BODY = "请求内容不是有效的 JSON（应为 UTF-8 编码的 JSON 对象），请检查后重新提交"


def malformed_body(said: str) -> str:
    """The one Chinese message for a 400 raised below our code (the decoder, the multipart parser, the
    router): never their English words, which may also quote the request."""
    for pattern, message in _MALFORMED:
        if pattern.search(said):
            return message
    return MALFORMED_BODY


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


RETRY_AFTER_SECONDS = 5


def handle_unavailable(exc: BaseException) -> Response[Any]:
    """The database cannot be reached or did not answer in time: a 503 the client may retry, logged with
    the error's type only (a driver message may quote values)."""
    log.warning("database unavailable: %s", type(exc).__name__)
    body = {"type": "about:blank", "title": "服务暂时不可用", "status": 503,
            "detail": f"数据库暂时无法访问，请约 {RETRY_AFTER_SECONDS} 秒后重试；如持续出现，请联系管理员"}
    return problem_response(body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_database(_: Request[Any, Any, Any], exc: asyncpg.PostgresError) -> Response[Any]:
    """Safety net: constraint and data errors are the caller's, never a 500. Values are not echoed."""
    if db.unavailable(exc):
        return handle_unavailable(exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        status, title, detail = 409, "与已有数据冲突", "这条记录已经存在"
    elif isinstance(exc, asyncpg.ForeignKeyViolationError):
        status, title, detail = 422, "数据不符合要求", "引用的对象不存在"
    elif isinstance(exc, asyncpg.CharacterNotInRepertoireError | asyncpg.UntranslatableCharacterError):
        status, title, detail = 422, "数据不符合要求", "文本中含有不允许的控制字符（如 NUL），请删除后再提交"
    elif isinstance(exc, asyncpg.IntegrityConstraintViolationError | asyncpg.DataError):
        status, title, detail = 422, "数据不符合要求", "数据超出允许范围或格式不正确"
    else:
        return handle_unexpected(_, exc)
    constraint = getattr(exc, "constraint_name", None)
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if constraint:
        body["constraint"] = constraint
    return problem_response(body, status)


def handle_undecodable(_: Request[Any, Any, Any], __: Exception) -> Response[Any]:
    """A body that is not UTF-8, or JSON nested beyond reason: the caller's mistake, not a crash."""
    return problem_response({"type": "about:blank", "title": "请求有误", "status": 400,
                             "detail": MALFORMED_BODY}, 400)


def handle_unexpected(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if db.unavailable(exc):  # a timeout, a refused or dropped connection, also when wrapped in another error
        return handle_unavailable(exc)
    reference = uuid.uuid4().hex[:12]
    # The exception type and where it happened, never its message: driver errors may quote row values.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s (reference %s)\n%s", type(exc).__name__, reference, frames)
    body = {"type": "about:blank", "title": "服务器内部错误", "status": 500,
            "detail": f"服务器出错，请联系管理员并提供编号 {reference}", "reference": reference}
    return problem_response(body, HTTP_500_INTERNAL_SERVER_ERROR)


def status_for(exc: BaseException) -> int:
    """The status the handlers above answer `exc` with (for the access log, which sees the exception
    pass on its way to them)."""
    if isinstance(exc, Problem):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ValidationException | UnicodeDecodeError | RecursionError):
        return 400
    if db.unavailable(exc):
        return 503
    if isinstance(exc, asyncpg.UniqueViolationError):
        return 409
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError | asyncpg.DataError
                  | asyncpg.CharacterNotInRepertoireError | asyncpg.UntranslatableCharacterError):
        return 422
    return 500


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    Problem: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    asyncpg.PostgresError: handle_database,
    UnicodeDecodeError: handle_undecodable,
    RecursionError: handle_undecodable,
    Exception: handle_unexpected,
}
