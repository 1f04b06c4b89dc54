"""Optional dependencies of the synthetic-runner generator."""

from __future__ import annotations

import importlib.util

from gaitvision.errors import GaitvisionError

__all__ = ["SynthDependencyError", "missing_synth_dependencies", "require_synth"]

#: import name -> what to tell the user
_NEEDED = {"torch": "torch", "anny": "anny", "numba": "numba"}
INSTALL_HINT = (
    "pip install 'gaitvision[synth]' (install a CPU build of torch first, e.g. "
    "pip install torch==2.13.0, so pip does not pull a multi-GB CUDA build)"
)


class SynthDependencyError(GaitvisionError, ImportError):
    """The optional ``synth`` extra (torch, anny, numba) is not installed."""


def missing_synth_dependencies() -> list[str]:
    """Names of the ``synth`` extra's packages that cannot be imported."""
    return [name for mod, name in _NEEDED.items() if importlib.util.find_spec(mod) is None]


def require_synth() -> None:
    """Raise :class:`SynthDependencyError` naming the extra if a package is missing."""
    missing = missing_synth_dependencies()
    if missing:
        raise SynthDependencyError(
            f"'gaitvision synth' needs the optional synth extra; missing: {', '.join(missing)}. "
            f"Install it with: {INSTALL_HINT}."
        )
