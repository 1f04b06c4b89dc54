"""``python -m gaitvision``."""

import sys

from gaitvision.cli import main

if __name__ == "__main__":  # guard: the parallel pose pass spawns processes that import this module
    sys.exit(main())
