"""Test-only Lava processes (a package of its own, as Lava's model discovery needs)."""
