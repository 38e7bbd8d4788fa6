"""Lava processes of razor_lava: each a package with a Process interface (process.py) and its
numpy ProcessModels (models.py). Keep these packages free of side-effecting modules: Lava's
compiler executes every module next to a Process's module to find its models."""
