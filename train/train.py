#!/usr/bin/env python
"""Train a Razor SNN in lava-dl SLAYER from a config.

The program is razor_lava.cli.train (``python -m razor_lava.cli.train`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
