"""``python -m ganlib ...``: the command line, see :mod:`ganlib.cli`."""

import sys

from .cli import main

sys.exit(main())
