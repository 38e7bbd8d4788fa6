#!/usr/bin/env python
"""Import a NIR graph as a deployable network file.

The program is razor_lava.cli.import_nir (``python -m razor_lava.cli.import_nir`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.import_nir import main

if __name__ == "__main__":
    sys.exit(main())
