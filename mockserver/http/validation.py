"""connexion's validators, adapted to answer in the envelope with the documented statuses: 413 and 400 for the
body's form, 422 for its content, 400 naming a bad parameter."""

from __future__ import annotations

import asyncio
from typing import Any

from connexion.exceptions import BadRequestProblem
from connexion.validators import JSONRequestBodyValidator, ParameterValidator
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from mockserver.http.body import parse_json_body_once, read_body
from mockserver.http.limits import MAX_BODY_BYTES
from mockserver.http.schema_check import MAX_REPORTED_ERRORS, compiled_check, first_errors
from mockserver.model.domain import BadRequest, PayloadTooLarge, ValidationFailed


class EnvelopeParameterValidator(ParameterValidator):  # type: ignore[misc]
    """connexion's parameter checks, answered in the envelope with a message that names the parameter."""

    def validate(self, scope: Scope) -> None:
        try:
            super().validate(scope)
        except BadRequestProblem as exc:
            raise BadRequest(str(exc.detail).split("\n", 1)[0]) from None

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        error: str | None = super().validate_header_parameter(param, request)
        if error is None:
            return None
        schema = param.get("schema", {})
        rule = f"at most {schema['maxLength']} " if "maxLength" in schema else ""
        return f"invalid {param['name']} header: must be {rule}printable ASCII characters (0x20-0x7E)"


class EnvelopeJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """Reads the body within a size limit, parses it strictly, and reports every schema error as one 422."""

    max_body_bytes = MAX_BODY_BYTES

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {self.max_body_bytes} bytes")
        # Read the body ourselves (stock connexion skips the body when Content-Length is absent, as with chunked
        # transfer), stopping as soon as it passes the limit.
        read = await read_body(receive, self.max_body_bytes)
        if read.disconnected:
            raise BadRequest("the client disconnected before sending the whole body")
        if read.too_large:
            raise PayloadTooLarge(f"the limit is {self.max_body_bytes} bytes")
        messages, raw = read.messages, read.raw
        if raw.strip() or self._required:  # an optional body may be left out
            body = await parse_json_body_once(scope, raw)
            fast_check = compiled_check(self._schema)
            if fast_check is None or not fast_check(body):
                # The reference validator is pure Python: on a large invalid body (20,000 bad items) it would hold
                # the event loop for seconds. In a thread the loop keeps serving (the GIL switches every 5 ms), and
                # it stops after the errors it reports.
                await asyncio.to_thread(self._validate, body)
        return self._insert_messages(receive, messages=messages), scope

    def _validate(self, body: Any) -> None:
        """Invalid (or a schema the compiled check does not cover): the reference validator's first errors, as one
        422."""
        described, more = first_errors(self._schema, body)
        if described:
            if more:
                described.append(f"... and more (only the first {MAX_REPORTED_ERRORS} errors are listed)")
            raise ValidationFailed("; ".join(described))
