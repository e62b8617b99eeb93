"""Serving appeal attachments to those allowed to see them."""
