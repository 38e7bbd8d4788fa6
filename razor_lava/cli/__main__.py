"""``python -m razor_lava.cli <command> [options]``: the ``razor-lava`` command without installing its script."""

import sys

from .main import main

sys.exit(main())
