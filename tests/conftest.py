"""Shared test helpers live in tests/ (e.g. netfiles.py); pytest puts this folder on sys.path."""
