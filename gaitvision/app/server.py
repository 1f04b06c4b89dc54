"""The web server: :func:`create_app` (FastAPI) and :func:`serve` (``gaitvision serve``).

On start it opens (and migrates) the database in the data folder, marks
jobs that were running when the server last stopped as interrupted (the
worker runs them again), and starts the worker process
(:mod:`gaitvision.app.worker`); a worker that dies is started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from gaitvision import __version__
from gaitvision.app.db import Database
from gaitvision.app.review import AnalysisCache
from gaitvision.app.security import SecurityMiddleware
from gaitvision.app.settings import AppSettings, is_loopback
from gaitvision.app.store import BadInput, NotFound, TooLarge
from gaitvision.app.worker import mark_interrupted
from gaitvision.errors import ConfigError, GaitvisionError

__all__ = ["AppContext", "create_app", "serve"]

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


@dataclass
class AppContext:
    """What every request handler needs: settings, database, analysis cache, templates, the worker."""

    settings: AppSettings
    db: Database
    cache: AnalysisCache
    templates: Jinja2Templates
    worker: subprocess.Popen[bytes] | None = None
    interrupted_at_start: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start_worker(self) -> None:
        """Start the worker process (it stops by itself when this process is gone)."""
        cmd = [sys.executable, "-m", "gaitvision.app.worker", "--data", str(self.settings.data),
               "--parent", str(os.getpid())]
        self.worker = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)

    def worker_alive(self) -> bool:
        """Whether the worker process runs."""
        return self.worker is not None and self.worker.poll() is None

    def watch_worker(self) -> None:
        """Start a dead worker again (its running job is marked interrupted first), every 2 s."""
        while not self._stop.wait(2.0):
            if self.worker is not None and not self.worker_alive():
                logger.warning("The analysis worker stopped (exit code %s); starting it again.",
                               self.worker.returncode)
                mark_interrupted(self.db)
                self.start_worker()

    def stop(self) -> None:
        """Stop the worker (its job is then marked interrupted at the next start)."""
        self._stop.set()
        if self.worker_alive() and self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        self.db.dispose()


def create_app(settings: AppSettings) -> FastAPI:
    """The FastAPI application for one data folder.

    Raises
    ------
    ConfigError
        If the data folder cannot be used or its database is newer than this gaitvision.
    """
    settings.ensure_dirs()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    ctx = AppContext(settings, Database(settings.db_path), AnalysisCache(size=4), templates)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.interrupted_at_start = mark_interrupted(ctx.db)
        if ctx.interrupted_at_start:
            logger.warning("Jobs %s were running when the server stopped; they run again.", ctx.interrupted_at_start)
        if settings.start_worker:
            ctx.start_worker()
            threading.Thread(target=ctx.watch_worker, name="gaitvision-worker-watch", daemon=True).start()
        try:
            yield
        finally:
            ctx.stop()

    # the interactive docs load their scripts from a CDN: off (no request leaves this computer)
    app = FastAPI(title="gaitvision", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.ctx = ctx
    app.add_middleware(SecurityMiddleware, token=settings.token)
    # the overlay script shared with report.html (gaitvision/report/static), before /static itself
    app.mount("/static/shared", StaticFiles(directory=str(HERE.parent / "report" / "static")), name="shared")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _error_handlers(app)
    from gaitvision.app.api import router as api_router
    from gaitvision.app.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    return app


def _error_handlers(app: FastAPI) -> None:
    def answer(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return PlainTextResponse(message, status_code=status)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return answer(request, 404, str(exc))

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge) -> Response:
        return answer(request, 413, str(exc))

    @app.exception_handler(BadInput)
    async def _bad(request: Request, exc: BadInput) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(GaitvisionError)
    async def _gv(request: Request, exc: GaitvisionError) -> Response:
        return answer(request, 400, str(exc))


def serve(*, data: Path | None = None, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          verbose: bool = False) -> int:
    """Run the app with uvicorn until stopped (Ctrl-C); return the exit code.

    Raises
    ------
    ConfigError
        For a non-loopback ``host`` without a token, or an unusable data folder.
    """
    import uvicorn

    settings = AppSettings.from_env(data, token)
    if not is_loopback(host) and not settings.token:
        raise ConfigError(f"--host {host} makes the app reachable from other computers; set an access token "
                          "with --token or $GAITVISION_TOKEN (every request must then carry it).")
    app = create_app(settings)
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    print(f"gaitvision: serving {settings.data} at {where} (Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info" if verbose else "warning")
    return 0


def context(request: Request) -> AppContext:
    """The app context of a request."""
    ctx: AppContext = request.app.state.ctx
    return ctx


def json_body(data: Any) -> dict[str, Any]:
    """A JSON body that must be an object."""
    if not isinstance(data, dict):
        raise BadInput("The request body must be a JSON object.")
    return data
