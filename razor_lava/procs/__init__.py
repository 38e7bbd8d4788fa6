"""Lava processes of razor_lava; each subpackage holds one process (``process.py``) and its models (``models.py``)."""
