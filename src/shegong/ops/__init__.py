"""Operator tooling behind the `shegong` command: demo, production server, backup and restore.

Not a Django app and without models: these modules run before or around Django (they choose the settings
environment, then call management commands), so they import Django models only inside functions.
"""
