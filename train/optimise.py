#!/usr/bin/env python
"""Optimise any network file after training: a Top-K cutoff and event-count gates.

The program is razor_lava.cli.optimise (``python -m razor_lava.cli.optimise`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.optimise import main

if __name__ == "__main__":
    sys.exit(main())
