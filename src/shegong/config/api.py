"""The one NinjaAPI: routers per app, one error envelope, session or bearer-token auth."""

from shegong.core.api import build_api

api = build_api()
