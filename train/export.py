#!/usr/bin/env python
"""(Re-)export RUN_DIR/network.h5 from RUN_DIR/checkpoint.pt.

The program is razor_lava.cli.export (``python -m razor_lava.cli.export`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
