"""The OpenAPI document: bearer security and the problem-details responses every route may give."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from kustodia_entrypoints.http.problems import PROBLEM_JSON

BEARER = "BearerToken"
_PROBLEM_CODES = {
    "400": "Malformed request",
    "401": "No or bad token",
    "403": "Authenticated but not allowed",
    "404": "Not found, or not yours",
    "409": "Conflict: the state changed, or an Idempotency-Key was reused for another request",
    "422": "Validation failed; `field` names the offending input",
    "429": "Rate limited or locked out",
}
_TEXT = Schema(type=OpenAPIType.STRING)
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail", "code"],
    properties={
        "type": _TEXT,
        "title": _TEXT,
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": _TEXT,
        "code": Schema(type=OpenAPIType.STRING, description="Stable machine-readable code"),
        "field": _TEXT,
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
    description="RFC 9457 problem details",
)


def components() -> Components:
    """The security scheme and the shared problem schema."""
    return Components(
        security_schemes={
            BEARER: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
        },
        schemas={"Problem": PROBLEM_SCHEMA},
    )


def document_problems(app: Litestar) -> None:
    """Add the problem responses to every operation of the app's (cached) document."""
    document = app.openapi_schema
    problem = OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status, description in _PROBLEM_CODES.items():
                existing = responses.get(status)
                if isinstance(existing, OpenAPIResponse) and existing.content:
                    continue
                responses[status] = OpenAPIResponse(
                    description=description, content={PROBLEM_JSON: problem}
                )
            operation.responses = responses
