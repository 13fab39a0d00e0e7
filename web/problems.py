"""Every error leaves as application/problem+json: a stable code, a Chinese detail, field errors."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from store.db import DATABASE_UNAVAILABLE, database_unavailable
from workflow.errors import DomainError

log = logging.getLogger("fuzhi")
PROBLEM = "application/problem+json"
TITLES = {
    400: "请求有误",
    401: "未认证",
    403: "无权操作",
    404: "未找到",
    405: "不支持的请求方法",
    409: "冲突",
    413: "内容过大",
    415: "不支持的内容类型",
    422: "无法处理",
    429: "请求过多",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}
# Litestar's own refusals, given stable codes of ours.
HTTP_CODES = {
    400: "request.bad",
    401: "auth.required",
    403: "auth.forbidden",
    404: "not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    429: "request.rate_limited",
}


def problem(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def domain_problem(exc: DomainError) -> Response[dict[str, Any]]:
    errors = None
    if field := exc.details.get("field"):
        errors = [{"field": field, "code": exc.code, "detail": exc.message}]
    # A refusal that passes (too many attempts, a key still in progress) says when to come back.
    wait = exc.details.get("retry_after")
    headers = {"Retry-After": str(int(wait))} if isinstance(wait, int) else None
    return problem(exc.status, exc.code, exc.message, errors, headers)


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """Staff pages get an HTML error page; the API and machines get problem+json."""
    path = request.url.path
    return not (
        path.startswith(("/api/", "/schema", "/health")) or "json" in request.headers.get("accept", "")
    ) and "text/html" in request.headers.get("accept", "text/html")


def error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    from litestar.response import Template

    lang = request.cookies.get("fuzhi_lang") or "zh_CN"
    return Template(
        "error.html", status_code=status, context={"lang": lang, "status": status, "message": message}
    )


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if wants_page(request):
        return error_page(request, exc.status, exc.message)
    return domain_problem(exc)


def on_validation_error(_request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append(
                {
                    "field": field,
                    "code": "validation.request",
                    "detail": f"“{field}”格式不正确：{item.get('message', '')}",
                }
            )
    return problem(400, "validation.request", "请求内容格式不正确", errors or None)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if wants_page(request) and status != 401:
        return error_page(request, status, TITLES.get(status, "错误"))
    headers = dict(exc.headers or {})  # a 405's Allow, a 429's Retry-After
    if isinstance(exc, NotAuthorizedException):
        headers["WWW-Authenticate"] = "Bearer"
    code = HTTP_CODES.get(status, f"http.{status}")
    return problem(status, code, TITLES.get(status, str(exc.detail)), headers=headers or None)


def on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """JSON nested thousands deep: msgspec gives up decoding it with a RecursionError, which is
    the client's doing (a 400), not the server's; any other RecursionError is a bug (a 500)."""
    if "deserializ" not in str(exc):
        return on_unexpected(request, exc)
    detail = "请求内容的JSON嵌套层数过多"
    return problem(
        400,
        "validation.json_too_deep",
        detail,
        [{"field": "body", "code": "validation.json_too_deep", "detail": detail}],
    )


RETRY_AFTER = 2  # seconds: the pool has dropped the dead connection, a retry gets a fresh one


def on_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database went away mid-request (a killed connection, a restart, the pool exhausted):
    a retryable 503 with Retry-After and a stable code, never a 500. The transaction was rolled
    back, so nothing was half done; any other database error is a bug (a 500)."""
    if not database_unavailable(exc):
        return on_unexpected(request, exc)
    log.warning("database unavailable: %s", type(exc).__name__)  # never the statement's values
    headers = {"Retry-After": str(RETRY_AFTER)}
    detail = "数据库连接暂时中断，请求未执行，请稍后重试"
    if wants_page(request):
        page = error_page(request, 503, detail)
        page.headers.update(headers)
        return page
    return problem(503, "server.database_unavailable", detail, headers=headers)


def on_unexpected(_request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error")  # the traceback, never request bodies or ID numbers
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "server.error", "服务器内部错误，请稍后重试")


def on_undecodable(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    """A form field that is not UTF-8 text: Litestar reads a file part sent without a file name
    as a text field and cannot decode its bytes. The client's doing (a 400); a decoding error
    anywhere else is a bug (a 500)."""
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    if not any("litestar" in f and ("_multipart" in f or "_kwargs" in f) for f in frames):
        return on_unexpected(request, exc)
    detail = "表单字段不是有效的UTF-8文本（上传文件须带文件名）"
    return problem(
        400,
        "validation.form_encoding",
        detail,
        [{"field": "body", "code": "validation.form_encoding", "detail": detail}],
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    RecursionError: on_recursion,
    UnicodeDecodeError: on_undecodable,
    **dict.fromkeys(DATABASE_UNAVAILABLE, on_database_error),
    Exception: on_unexpected,
}
