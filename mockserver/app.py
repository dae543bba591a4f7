"""The app factory: the partner API served by connexion from the spec, over one MockState."""

from __future__ import annotations

import copy
from pathlib import Path

from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.jsonifier import Jsonifier
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver

from mockserver.auth import bearer_handler
from mockserver.certification import CertificationLayer
from mockserver.errors import allowed_methods, install_error_handlers
from mockserver.fastpath import FastPath
from mockserver.fixtures import DEFAULT_FIXTURES, load_fixtures
from mockserver.handlers import operation_handlers
from mockserver.handlers.admin import admin_handlers
from mockserver.middleware import FaultInjection, RequestJournal
from mockserver.spec import ADMIN_SPEC, PARTNER_SPEC, SPEC_DIR, load_spec
from mockserver.state import MockState
from mockserver.validation import (
    MAX_BODY_BYTES,
    EnvelopeJSONBodyValidator,
    EnvelopeParameterValidator,
    LimitHeaderSize,
    NoSlashRedirect,
    RequireContentType,
)

__all__ = ["ADMIN_SPEC", "PARTNER_SPEC", "create_app"]
BASE_PATH = "/v1"
ADMIN_BASE_PATH = "/__admin"


def create_app(
    state: MockState | None = None,
    *,
    fixtures: str | Path = DEFAULT_FIXTURES,
    max_body_bytes: int = MAX_BODY_BYTES,
    fast_path: bool = True,
) -> AsyncApp:
    """Build the mock: the partner API under /v1, the admin API under /__admin. `state` defaults to a fresh
    MockState loaded from `fixtures`. `fast_path=False` leaves every request to connexion (mockserver/fastpath.py
    says what the fast path does; its answers are the same)."""
    if state is None:
        state = MockState(load_fixtures(fixtures))
    handlers = {**operation_handlers(state), **admin_handlers(state)}
    body_validator = type("BodyValidator", (EnvelopeJSONBodyValidator,), {"max_body_bytes": max_body_bytes})
    # A plain dict here would never match "*/*json" and silently skip body validation.
    validator_map = {"body": MediaTypeDict({"*/*json": body_validator}), "parameter": EnvelopeParameterValidator}
    specs = {BASE_PATH: PARTNER_SPEC, ADMIN_BASE_PATH: ADMIN_SPEC}

    jsonifier = Jsonifier()
    app = AsyncApp(
        __name__, specification_dir=SPEC_DIR, security_map={"bearer": bearer_handler(state)}, jsonifier=jsonifier
    )
    for base_path, spec in specs.items():
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
    # Outermost, journal first: the journal sees every final answer; then certification (records and imposes its
    # scenario when armed), then faults.
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
    install_error_handlers(app, allowed_methods({base: load_spec(spec) for base, spec in specs.items()}))
    app.mock_state = state
    return app
