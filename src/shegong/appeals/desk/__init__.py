"""desk pages of the appeals module."""
