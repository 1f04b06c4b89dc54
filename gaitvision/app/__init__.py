"""``gaitvision serve``: the clinic's local web app.

Patients and visits, upload with progress, the analysis in a worker process
(:mod:`gaitvision.app.worker`), the review page with the overlay drawn in
the browser from the saved landmark track, audited corrections re-measured
through :func:`gaitvision.measurement.measure` from the cached track,
trends across visits and exports. Everything stays in one data folder
(:mod:`gaitvision.app.settings`); the pages load nothing from any other host.
See docs/app.md.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from gaitvision.app import server

        return getattr(server, name)
    raise AttributeError(name)
