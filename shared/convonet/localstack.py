"""The whole system in one process, for `make dev` and the end-to-end tests.

Every HTTP function from the manifest is loaded through functions-framework itself
(`create_app`, exactly what runs in production) and mounted at its production paths without
stripping the prefix, as the load balancer does; the voice gateway's WebSocket routes are
added; `web/` is served for everything else; the local event bus is wired to the event
functions. On start: migrations, then demo data when the database is empty (dev only).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from convonet.manifest import REPO_ROOT, FunctionSpec, by_name, http_functions

log = logging.getLogger("convonet.localstack")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]
]

WSGI_WORKERS = 64


class PrefixDispatcher:
    """Routes by longest matching path prefix, keeping the full path (as the LB does)."""

    def __init__(self, mounts: dict[str, ASGIApp], fallback: ASGIApp) -> None:
        self._mounts = sorted(mounts.items(), key=lambda item: len(item[0]), reverse=True)
        self._fallback = fallback

    def target(self, path: str) -> ASGIApp:
        for prefix, app in self._mounts:
            if path == prefix or path.startswith(prefix + "/"):
                return app
        return self._fallback

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._fallback(scope, receive, send)
            return
        await self.target(scope.get("path", "/"))(scope, receive, send)


def http_function_app(spec: FunctionSpec) -> ASGIApp:
    """The function as functions-framework builds it: Flask (wrapped for ASGI) or, for an
    `@functions_framework.aio` function, already ASGI."""
    import flask
    import functions_framework
    from a2wsgi import WSGIMiddleware

    app = functions_framework.create_app(target=spec.entry_point, source=str(spec.source))
    if isinstance(app, flask.Flask):
        return WSGIMiddleware(app, workers=WSGI_WORKERS)  # type: ignore[arg-type,return-value]
    asgi_app: ASGIApp = app
    return asgi_app


def voice_gateway_app() -> ASGIApp:
    spec = by_name("voice_gateway")
    module_spec = importlib.util.spec_from_file_location("convonet_voice_gateway_app", spec.source)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    app: ASGIApp = module.app
    return app


def prepare_data() -> bool:
    """Apply migrations; seed demo data in dev when the database is empty. True if seeded."""
    from convonet.config import get_settings
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade

    settings = get_settings()
    upgrade()
    if settings.convonet_env != "dev":
        return False
    from convonet.demo import seed_demo_data

    with session_scope() as session:
        return seed_demo_data(session)


def build_app(*, prepare: bool = True) -> ASGIApp:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    if prepare:
        prepare_data()
    bus = _wire_event_bus()
    mounts: dict[str, ASGIApp] = {}
    for spec in http_functions():
        app = http_function_app(spec)
        for path in spec.paths:
            mounts[path] = app
    gateway = voice_gateway_app()
    for path in by_name("voice_gateway").paths:
        mounts[path] = gateway

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if bus is not None:
            bus.close()

    web = Starlette(
        routes=[Mount("/", StaticFiles(directory=REPO_ROOT / "web", html=True))],
        lifespan=lifespan,
    )
    return PrefixDispatcher(mounts, web)


def _wire_event_bus() -> Any:
    """Subscribe the built event functions to the in-process bus (when the backend is local)."""
    from convonet.config import get_settings

    if get_settings().event_backend != "local":
        return None
    try:
        from convonet.events import set_event_bus
        from convonet.events.local import LocalEventBus, wire_local_bus_from_manifest
    except ImportError:
        log.warning("event bus not available yet; events are not delivered")
        return None
    from convonet.manifest import event_functions

    bus = LocalEventBus()
    wire_local_bus_from_manifest(bus, [spec for spec in event_functions() if spec.built])
    set_event_bus(bus)
    return bus
