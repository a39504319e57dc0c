"""A small typed HTTP layer for the functions: routing, body limits, validation, errors, OpenAPI.

Each HTTP function builds one `HttpApi`, registers thin handlers over the core, and exposes
`api.handle` as its functions-framework entry point. The same object serves
`<prefix>/healthz` and `<prefix>/openapi.json` (generated from the pydantic models), answers
every failure with the error shape of ARCHITECTURE §10, and replays `Idempotency-Key` POSTs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule

from convonet.domain.errors import DomainError
from convonet.http.errors import ApiError, bad_request, not_implemented

log = logging.getLogger("convonet.http")

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
BodyFormat = Literal["json", "form"]
_PATH_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass
class ApiResult:
    """A handler's answer when it needs a status or headers other than the route's."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    method: Method
    path: str
    prefix: str
    handler: Callable[[ApiRequest], Any]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    summary: str
    auth: bool
    idempotent: bool
    body_format: BodyFormat

    @property
    def full_path(self) -> str:
        return self.prefix + self.path if self.path != "/" else self.prefix

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.full_path}"


@dataclass
class ApiRequest:
    """What a handler sees: the raw request plus its validated parts."""

    raw: flask.Request
    route: Route
    path_params: dict[str, str]
    body: Any = None
    query: Any = None
    request_id: str = ""

    @property
    def headers(self) -> Any:
        return self.raw.headers

    def bearer_token(self) -> str | None:
        header = self.raw.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    @property
    def client_ip(self) -> str:
        forwarded = self.raw.headers.get("X-Forwarded-For", "")
        return forwarded.split(",")[0].strip() or (self.raw.remote_addr or "")


class HttpApi:
    def __init__(
        self,
        name: str,
        *,
        title: str,
        prefixes: Sequence[str],
        description: str = "",
        version: str = "1.0.0",
        built: bool = True,
    ) -> None:
        self.name = name
        self.title = title
        self.prefixes = tuple(prefixes)
        self.description = description
        self.version = version
        self.built = built
        self.routes: list[Route] = []
        self._url_map: Map | None = None
        self._url_map_lock = threading.Lock()

    # Registration -------------------------------------------------------------------------

    def route(
        self,
        method: Method,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        summary: str = "",
        auth: bool = False,
        idempotent: bool = False,
        body_format: BodyFormat = "json",
        prefix: str | None = None,
    ) -> Callable[[Callable[[ApiRequest], Any]], Callable[[ApiRequest], Any]]:
        def register(handler: Callable[[ApiRequest], Any]) -> Callable[[ApiRequest], Any]:
            self.routes.append(
                Route(
                    method=method,
                    path=path,
                    prefix=prefix if prefix is not None else self.prefixes[0],
                    handler=handler,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                    auth=auth,
                    idempotent=idempotent,
                    body_format=body_format,
                )
            )
            self._url_map = None
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[Callable[[ApiRequest], Any]], Any]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[[ApiRequest], Any]], Any]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Callable[[ApiRequest], Any]], Any]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Callable[[ApiRequest], Any]], Any]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Callable[[ApiRequest], Any]], Any]:
        return self.route("DELETE", path, **kw)

    # Serving ------------------------------------------------------------------------------

    def handle(self, request: flask.Request) -> flask.Response:
        """The functions-framework entry point: dispatch one request, never leak an exception."""
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        _bind_trace(request)
        try:
            result = self._dispatch(request, request_id)
        except ApiError as exc:
            result = json_response(exc.body(), exc.status, exc.headers)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            result = json_response(
                {"error": {"code": "internal", "message": "Something went wrong on our side."}},
                500,
            )
        result.headers["X-Request-Id"] = request_id
        return result

    def _dispatch(self, request: flask.Request, request_id: str) -> flask.Response:
        path = request.path.rstrip("/") or "/"
        for prefix in self.prefixes:
            if path == f"{prefix}/openapi.json" and request.method == "GET":
                return json_response(self.openapi())
            if path == f"{prefix}/healthz" and request.method == "GET":
                if not self.built:
                    raise not_implemented(f"{self.name} is not built yet.")
                return json_response({"status": "ok", "function": self.name})
        if not self.built:
            raise not_implemented(f"{self.name} is not built yet.")
        route, params = self._match(path, request.method)
        api_request = ApiRequest(
            raw=request, route=route, path_params=params, request_id=request_id
        )
        if route.idempotent and request.headers.get("Idempotency-Key"):
            from convonet.http.idempotency import run_idempotent

            return run_idempotent(self, api_request, lambda: self._run(api_request))
        return self._run(api_request)

    def _run(self, api_request: ApiRequest) -> flask.Response:
        route = api_request.route
        if route.query is not None:
            api_request.query = _validate(route.query, api_request.raw.args.to_dict(), "query")
        if route.body is not None:
            api_request.body = _validate(route.body, _read_body(api_request.raw, route), "body")
        try:
            result = route.handler(api_request)
        except DomainError as exc:
            raise ApiError(exc.status, exc.code, exc.message, details=exc.details) from None
        return to_response(result, route.status)

    def _match(self, path: str, method: str) -> tuple[Route, dict[str, str]]:
        adapter = self._map().bind("localhost")
        try:
            index, params = adapter.match(path, method=method)
        except NotFound:
            raise ApiError(404, "not_found", f"No endpoint at {path}.") from None
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            raise ApiError(
                405,
                "method_not_allowed",
                f"{method} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            ) from None
        return self.routes[int(index)], {k: str(v) for k, v in params.items()}

    def _map(self) -> Map:
        """The URL map, built once under a lock.

        A threaded server's first requests arrive together, so one thread builds it: building
        a werkzeug rule's URL builders runs `ast.parse`, which CPython 3.11 does not make safe
        on several threads at once ("AST constructor recursion depth mismatch").
        `MatchOnlyRule` builds none, but a map must never be built twice either.
        """
        url_map = self._url_map
        if url_map is not None:
            return url_map
        with self._url_map_lock:
            if self._url_map is None:
                rules = [
                    MatchOnlyRule(
                        _PATH_PARAM.sub(r"<\1>", r.full_path),
                        endpoint=str(i),
                        methods=[r.method],
                        strict_slashes=False,
                    )
                    for i, r in enumerate(self.routes)
                ]
                self._url_map = Map(rules)
            return self._url_map

    # OpenAPI ------------------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        from convonet.http.openapi import build_openapi

        return build_openapi(self)


class MatchOnlyRule(Rule):
    """A werkzeug rule that matches requests and never builds URLs.

    Werkzeug compiles two URL-builder functions for every rule as the map is made (Python
    source generated and compiled, ~0.3 ms a rule), on a function's first request. The API
    only matches, so skipping them takes most of that first request's routing cost off each
    cold start; `build()` on such a rule raises instead of returning a wrong URL.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        return _never_built


def _never_built(*_args: object, **_kwargs: object) -> tuple[str, str]:
    raise NotImplementedError("the API's URL map only matches; it builds no URLs")


def _bind_trace(request: flask.Request) -> None:
    try:
        from convonet.observability import bind_trace_from_headers
    except ImportError:
        return
    bind_trace_from_headers(dict(request.headers))


def _read_body(request: flask.Request, route: Route) -> Any:
    from convonet.config import get_settings

    limit = get_settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    content_type = (request.mimetype or "").lower()
    if route.body_format == "form":
        if content_type != "application/x-www-form-urlencoded":
            raise _unsupported("application/x-www-form-urlencoded")
        request.max_form_memory_size = limit
        request.max_content_length = limit
        try:
            return request.form.to_dict()
        except RequestEntityTooLarge:
            raise _too_large(limit) from None
    if content_type != "application/json":
        raise _unsupported("application/json")
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    if len(raw) > limit:
        raise _too_large(limit)
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The body is not valid JSON.", "invalid_json") from None


def _validate(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    if where == "body" and not isinstance(data, dict):
        raise ApiError(422, "validation_error", "The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        first = details[0]
        message = f"Invalid {where}: {first['field'] or where}: {first['message']}."
        raise ApiError(422, "validation_error", message, details=details) from None


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The body is larger than {limit} bytes.")


def _unsupported(expected: str) -> ApiError:
    return ApiError(415, "unsupported_media_type", f"Send the body as {expected}.")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> flask.Response:
    payload = json.dumps(body, default=_json_default, separators=(",", ":"))
    return flask.Response(payload, status=status, headers=headers, mimetype="application/json")


def to_response(result: Any, default_status: int = 200) -> flask.Response:
    """Turn what a handler returned into a response (model, dict, list, ApiResult, None)."""
    if isinstance(result, flask.Response):
        return result
    if isinstance(result, ApiResult):
        return json_response(_plain(result.body), result.status, result.headers)
    if result is None:
        return flask.Response(status=204)
    return json_response(_plain(result), default_status)


def _plain(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    if isinstance(body, list):
        return [_plain(b) for b in body]
    return body
