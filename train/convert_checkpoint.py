#!/usr/bin/env python
"""Rewrite RUN_DIR/checkpoint.pt of an earlier razor_lava in the safe (weights-only) form.

The program is razor_lava.cli.convert_checkpoint (``python -m razor_lava.cli.convert_checkpoint`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.convert_checkpoint import main

if __name__ == "__main__":
    sys.exit(main())
