"""``python -m ganlib ...``: the command line, see :mod:`ganlib.cli.main`."""

import sys

from .cli.main import main

sys.exit(main())
