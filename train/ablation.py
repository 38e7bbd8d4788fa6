#!/usr/bin/env python
"""Run the Razor ablation (pruner positions E1-E4, number of embeddings K).

The program is razor_lava.cli.ablation (``python -m razor_lava.cli.ablation`` is the same);
``--help`` lists its options and examples.
"""

import sys

from razor_lava.cli.ablation import main

if __name__ == "__main__":
    sys.exit(main())
