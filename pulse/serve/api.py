"""The CTR API (`pulse serve api`): `GET /ctr` over the Parquet export, OpenAPI at /docs.

It reads only `exports/fct_product_activity_minute.parquet` (pulse/serve/ctr_query.py), so it answers
while dbt or the live pipeline runs. If PULSE_API_TOKEN is set, data endpoints require
`Authorization: Bearer <token>` (401 otherwise); /docs, /openapi.json and /health stay open so
the documentation can be read and the token entered there ("Authorize").
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from ingest.config import Settings, load_settings
from pulse.serve.ctr_query import (
    EXPORT_RELATIVE,
    MAX_AGGREGATION_MINUTES,
    CtrParameterError,
    CtrReader,
    make_request,
    query_ctr,
)

__all__ = ["create_app", "query_ctr"]

TOKEN_ENV = "PULSE_API_TOKEN"
# Module level: the routes' annotations are strings (PEP 563), resolved against module globals.
BEARER = HTTPBearer(auto_error=False, description=f"Required when {TOKEN_ENV} is set on the server.")


class CtrRow(BaseModel):
    timestamp: str = Field(description="Start of the bucket, GMT-3, 'YYYY-MM-DD HH:MM:SS'.",
                           examples=["2016-01-03 13:55:00"])
    platform: Literal["iOS", "Android", "MobileWeb"]
    product: str = Field(description="The product id (codeColor).", examples=["20008657_002"])
    CTR: str | None = Field(description="purchases / product views, four decimals ('0.0150' = 1.50%); "
                                        "null when the bucket had purchases but no product views.",
                            examples=["0.0150"])


DESCRIPTION = """
CTR (purchases / product views) per time bucket, platform and product (the AMARO case).

* Times are **GMT-3**, in and out, formatted like `2016-01-03 13:55:00`.
* Buckets start at `startTimestamp` and step by `aggregation` minutes over
  [`startTimestamp`, `endTimestamp`); the last bucket ends at `endTimestamp`.
* One row per bucket, platform and product that had a product view or a purchase; buckets with
  neither are left out. A bucket with purchases but no views has `"CTR": null`.
* A purchase is an order containing the product (canceled orders excluded; quantity and
  several sizes of the product in one order count once).
* Bad parameters answer 422 with `detail` naming the parameter.
"""


def _first_error(exc: RequestValidationError) -> str:
    messages = []
    for error in exc.errors():
        name = error["loc"][-1] if error.get("loc") else "request"
        messages.append(f"{name}: {error['msg']}")
    return "; ".join(messages)


def _single_values(request: Request) -> None:
    """A parameter given twice is refused: taking one of them silently would answer another question."""
    counts = Counter(key for key, _ in request.query_params.multi_items())
    repeated = sorted(key for key, n in counts.items() if n > 1)
    if repeated:
        raise HTTPException(422, "; ".join(f"{key}: given {counts[key]} times, give it once" for key in repeated))


def create_app(settings: Settings | None = None, token: str | None = None) -> FastAPI:
    settings = settings or load_settings()
    token = (token if token is not None else os.environ.get(TOKEN_ENV)) or None  # empty: no token
    reader = CtrReader(settings)

    def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        if token is None:
            return
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    # Swagger UI (/docs) and ReDoc (/redoc) from assets inside the fastapi-offline wheel, not a CDN:
    # the docs pages work without internet access.
    app = FastAPIOffline(title="pulse CTR API", version="1.0", description=DESCRIPTION)

    @app.exception_handler(RequestValidationError)
    async def _unprocessable(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _first_error(exc)})

    @app.get("/health", summary="Liveness and the export's state")
    def health() -> dict:
        path = reader.path
        return {"status": "ok", "export": EXPORT_RELATIVE, "export_exists": path.exists(),
                "export_mtime": path.stat().st_mtime if path.exists() else None}

    @app.get("/ctr", response_model=list[CtrRow], dependencies=[Depends(require_token), Depends(_single_values)],
             summary="CTR per bucket, platform and product",
             responses={401: {"description": "Token required and missing or wrong"},
                        422: {"description": "A bad parameter; `detail` names it"},
                        503: {"description": "No CTR export yet"}})
    def ctr(
        startTimestamp: str = Query(description="First minute wanted, GMT-3.", examples=["2016-02-01 00:00:00"]),  # noqa: N803
        endTimestamp: str = Query(description="End of the range (exclusive), GMT-3.",  # noqa: N803
                                  examples=["2016-02-02 00:00:00"]),
        aggregation: int = Query(gt=0, le=MAX_AGGREGATION_MINUTES, examples=[60],
                                 description="Bucket size in minutes (60 = one value per hour)."),
        product: str | None = Query(None, description="Only this product (codeColor)."),
        platform: Literal["iOS", "Android", "MobileWeb"] | None = Query(None, description="Only this platform."),
    ) -> Response:
        try:
            request = make_request(startTimestamp, endTimestamp, aggregation, product, platform)
        except CtrParameterError as exc:
            raise HTTPException(422, str(exc)) from None
        try:
            body = reader.query_json(request)
        except FileNotFoundError as exc:
            raise HTTPException(503, str(exc)) from None
        return Response(content=body, media_type="application/json")

    return app
