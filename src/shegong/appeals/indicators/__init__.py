"""indicators pages of the appeals module."""
