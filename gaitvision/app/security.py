"""Access token, CSRF and response headers for the app (a pure ASGI-level middleware).

- With a token (required for a non-loopback ``--host``) every request needs
  it: ``Authorization: Bearer TOKEN``, the ``gv_token`` cookie, or
  ``?token=TOKEN`` once (which sets the cookie).
- CSRF: a state-changing request (POST, PUT, PATCH, DELETE) whose
  ``Origin`` names another site is refused; one that carries cookies (a
  browser) must also carry the page's token in ``X-CSRF-Token`` (or a
  ``csrf_token`` form field), equal to the ``gv_csrf`` cookie. Scripts
  without cookies (curl, the test client) need no CSRF token.
- Every answer forbids loading anything from another host
  (``Content-Security-Policy: default-src 'self'``) and framing.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlparse

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

__all__ = ["CSRF_COOKIE", "SecurityMiddleware", "TOKEN_COOKIE"]

CSRF_COOKIE = "gv_csrf"
TOKEN_COOKIE = "gv_token"
_UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
       "form-action 'self'")


def _deny(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status)
    return PlainTextResponse(message, status_code=status)


class SecurityMiddleware(BaseHTTPMiddleware):
    """Token check, CSRF check, and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        super().__init__(app)
        self.token = token

    def _token_ok(self, request: Request) -> bool:
        if self.token is None:
            return True
        given = request.cookies.get(TOKEN_COOKIE, "")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _csrf_problem(self, request: Request) -> str | None:
        if request.method not in _UNSAFE:
            return None
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlparse(origin).netloc != request.headers.get("host", ""):
            return "Refused: the request comes from another site."
        if not request.cookies:
            return None
        expected = request.cookies.get(CSRF_COOKIE, "")
        given = request.headers.get("x-csrf-token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return "Refused: the page's CSRF token is missing or wrong; reload the page."
        return None

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        given = request.query_params.get("token")
        if self.token is not None and given and hmac.compare_digest(given.encode(), self.token.encode()):
            resp: Response = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
            resp.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return resp
        if not self._token_ok(request):
            return _deny(request, 401, "This gaitvision server needs its access token (?token=... once, or "
                                       "Authorization: Bearer ...).")
        problem = self._csrf_problem(request)
        if problem:
            return _deny(request, 403, problem)
        response = await call_next(request)
        if CSRF_COOKIE not in request.cookies and request.method == "GET" and not request.url.path.startswith(
                ("/api/", "/static/")):
            response.set_cookie(CSRF_COOKIE, request.state.csrf if hasattr(request.state, "csrf")
                                else secrets.token_urlsafe(24), samesite="strict")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def csrf_for(request: Request) -> str:
    """The CSRF token for the page being rendered (the cookie's, or a new one the response sets)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None) or secrets.token_urlsafe(24)
    request.state.csrf = token
    return token
