#!/usr/bin/env python
"""Calibrate (or re-calibrate) the Top-K cutoff of a trained run.

The program is razor_lava.cli.calibrate (``python -m razor_lava.cli.calibrate`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.calibrate import main

if __name__ == "__main__":
    sys.exit(main())
