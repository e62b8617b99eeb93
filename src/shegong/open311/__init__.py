"""Open311 GeoReport v2 at /open311/v2/: platform enterprises and existing Open311 clients file and follow
appeals without a custom integration (docs/open311.md)."""
