"""Validate every API response the suite produces against ``/api/v1/openapi.json``.

Zulip's lesson: an undocumented field or a drifted shape fails the test that
produced it, so the document cannot rot.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from portal.api.views import openapi_document

API_PREFIX = "/api/v1"


@cache
def _openapi() -> OpenAPI:
    document = dict(openapi_document())
    document["servers"] = [{"url": "http://localhost/api/v1"}]
    return OpenAPI.from_dict(document)


class ValidatingClient(FlaskClient):
    validated: list[str] = []

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith(API_PREFIX + "/") and response.status_code != 405:
            # The app already read the body; only the response is validated here.
            request._cached_data = b""  # type: ignore[attr-defined]
            _openapi().validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            ValidatingClient.validated.append(f"{request.method} {request.path} {response.status_code}")
        return response
