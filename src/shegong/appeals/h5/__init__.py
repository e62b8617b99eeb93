"""h5 pages of the appeals module."""
