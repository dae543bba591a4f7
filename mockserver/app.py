"""The app factory: the partner API and the admin API served by connexion from the specs, over one MockState.

The way a request goes, outermost first (each layer's module in brackets, under mockserver/):

    server (server.py: granian, embedded)
    -> server errors (starlette's ServerErrorMiddleware, connexion's outermost: an exception no layer below caught
       becomes the envelope's 500, with no trace; http/envelope.py)
    -> console pages (console/: the static page under /__admin/console/, which calls the admin API like any client)
    -> reset fence (layers/fence.py: notes the epoch a request began in; MockState refuses its changes after a reset)
    -> journal (layers/journal.py: records each partner request's final answer in model/journal.py)
    -> certification (layers/certification.py: when a run is armed, records for the grade and imposes its scenario)
    -> faults (layers/faults.py: the admin's injected delays, 500/503s and dropped connections)
    -> fast path (layers/fastpath.py: finishes the common accepted submit and read itself, else hands on)
    -> connexion: exception layer (http/envelope.py: every failure to the envelope)
                  -> header limit (http/limits.py) -> no trailing-slash redirect (http/routes.py)
                  -> routing -> security (http/security.py) -> content type (http/media_types.py)
                  -> validation (http/validation.py, http/body.py, http/schema_check.py)
    -> handler (handlers/: one line or two, named after the operationId)
    -> MockState (model/state.py: locks, applies due lifecycle steps, uses its stores in model/)
    -> domain (model/domain.py: mapping, payload identity, lifecycle, the errors and their statuses)

The layers leave each other notes only through http/notes.py (the epoch a request began in, the partner a key
resolved to, the fault that shaped an answer, a delay, a drop). The journal, certification and faults layers step
aside at once when unused (one attribute test).
"""

from __future__ import annotations

import copy
from pathlib import Path

from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.jsonifier import Jsonifier
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver

from mockserver.console import ConsolePages
from mockserver.handlers import operation_handlers
from mockserver.handlers.admin import admin_handlers
from mockserver.http.envelope import install_error_handlers
from mockserver.http.limits import MAX_BODY_BYTES, LimitHeaderSize
from mockserver.http.media_types import RequireContentType
from mockserver.http.routes import SPECS, NoSlashRedirect, routes
from mockserver.http.security import bearer_handler
from mockserver.http.spec import ADMIN_SPEC, PARTNER_SPEC, SPEC_DIR, load_spec
from mockserver.http.validation import EnvelopeJSONBodyValidator, EnvelopeParameterValidator
from mockserver.layers.certification import CertificationLayer
from mockserver.layers.fastpath import FastPath
from mockserver.layers.faults import FaultInjection
from mockserver.layers.fence import ResetFence
from mockserver.layers.journal import RequestJournal
from mockserver.model.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.model.state import MockState

__all__ = ["ADMIN_SPEC", "PARTNER_SPEC", "create_app"]


def create_app(
    state: MockState | None = None,
    *,
    fixtures: str | Path = DEFAULT_FIXTURES,
    max_body_bytes: int = MAX_BODY_BYTES,
    fast_path: bool = True,
) -> AsyncApp:
    """Build the mock: the partner API under /v1, the admin API under /__admin. `state` defaults to a fresh
    MockState loaded from `fixtures`. `fast_path=False` leaves every request to connexion (mockserver/layers/fastpath.py
    says what the fast path does; its answers are the same)."""
    if state is None:
        state = MockState(load_fixtures(fixtures))
    handlers = {**operation_handlers(state), **admin_handlers(state)}
    body_validator = type("BodyValidator", (EnvelopeJSONBodyValidator,), {"max_body_bytes": max_body_bytes})
    # A plain dict here would never match "*/*json" and silently skip body validation.
    validator_map = {"body": MediaTypeDict({"*/*json": body_validator}), "parameter": EnvelopeParameterValidator}

    jsonifier = Jsonifier()
    app = AsyncApp(
        __name__, specification_dir=SPEC_DIR, security_map={"bearer": bearer_handler(state)}, jsonifier=jsonifier
    )
    for base_path, spec in SPECS.items():
        app.add_api(
            # The parsed document rather than the file: connexion would parse it again, with the slow YAML loader.
            copy.deepcopy(load_spec(spec)),
            base_path=base_path,
            resolver=Resolver(function_resolver=handlers.__getitem__),
            validator_map=validator_map,
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True, swagger_ui_path="/ui"),
        )
    app.add_middleware(LimitHeaderSize, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(NoSlashRedirect, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(RequireContentType, position=MiddlewarePosition.BEFORE_VALIDATION)
    # Outermost, the console's static files; then the reset fence (before any layer that changes the state); then the
    # journal, which sees every final answer; then certification (records and imposes its scenario when armed), then
    # faults.
    app.add_middleware(ConsolePages, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(ResetFence, position=MiddlewarePosition.BEFORE_EXCEPTION, state=state)
    app.add_middleware(RequestJournal, position=MiddlewarePosition.BEFORE_EXCEPTION, state=state)
    app.add_middleware(CertificationLayer, position=MiddlewarePosition.BEFORE_EXCEPTION, state=state)
    app.add_middleware(FaultInjection, position=MiddlewarePosition.BEFORE_EXCEPTION, state=state)
    if fast_path:  # innermost of the three: faults and the journal see its answers as they see connexion's
        app.add_middleware(
            FastPath,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            state=state,
            jsonifier=jsonifier,
            spec_path=PARTNER_SPEC,
            max_body_bytes=max_body_bytes,
        )
    install_error_handlers(app, routes().allowed)
    app.mock_state = state
    return app
