"""Call a WSGI application in-process, the way granian or gunicorn would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from wsgiref.util import setup_testing_defaults

# The headers Django's security middleware gives every answer (see byline/settings.py).
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    header_list: list[tuple[str, str]]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def call(
    app,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    host: str = "testserver",
    scheme: str = "http",
    body: bytes = b"",
    extra_environ: dict[str, str] | None = None,
) -> Response:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": host,
        "SERVER_NAME": host,
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    environ.update(extra_environ or {})
    setup_testing_defaults(environ)
    started: list = []

    def start_response(status, response_headers, exc_info=None):
        started[:] = [status, response_headers]

    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, header_list = started
    return Response(
        status=int(status.split()[0]),
        headers={name.lower(): value for name, value in header_list},
        header_list=header_list,
        body=data,
    )
