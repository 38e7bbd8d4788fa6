"""LIAF / graded CUBA dense layer as a Lava process, bit-exact with SLAYER."""

from .process import CubaDense

__all__ = ["CubaDense"]
