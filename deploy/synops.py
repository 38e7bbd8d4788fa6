#!/usr/bin/env python
"""Profile a network file: synops with and without the pruning gates, energy, plots.

The program is razor_lava.cli.synops (``python -m razor_lava.cli.synops`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.synops import main

if __name__ == "__main__":
    sys.exit(main())
