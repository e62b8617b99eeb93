"""catalogue_pages pages of the appeals module."""
