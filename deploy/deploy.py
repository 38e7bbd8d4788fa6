#!/usr/bin/env python
"""Deploy a network file on Lava and compare it, sample by sample, with SLAYER.

The program is razor_lava.cli.deploy (``python -m razor_lava.cli.deploy`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.deploy import main

if __name__ == "__main__":
    sys.exit(main())
