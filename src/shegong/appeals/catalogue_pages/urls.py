"""The catalogue pages (categories, time limits, dispatch catalogue) under /desk/appeals/catalogue/.
Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from shegong.appeals.catalogue_pages import category_views as c
from shegong.appeals.catalogue_pages import limit_views as t
from shegong.appeals.catalogue_pages import rule_views as r

urlpatterns: list[URLPattern | URLResolver] = [
    path("categories/", c.category_list, name="catalogue_categories"),
    path("categories/new/", c.category_create, name="catalogue_category_create"),
    path("categories/<int:pk>/edit/", c.category_edit, name="catalogue_category_edit"),
    path("categories/<int:pk>/retire/", c.category_retire, name="catalogue_category_retire"),
    path("categories/<int:pk>/reactivate/", c.category_reactivate, name="catalogue_category_reactivate"),
    path("time-limits/", t.time_limit_table, name="catalogue_time_limits"),
    path(
        "time-limits/<str:category_key>/<str:clock>/<str:urgency>/",
        t.time_limit_edit,
        name="catalogue_time_limit_edit",
    ),
    path(
        "time-limits/<str:category_key>/<str:clock>/<str:urgency>/reset/",
        t.time_limit_reset,
        name="catalogue_time_limit_reset",
    ),
    path("rules/", r.rule_list, name="catalogue_rules"),
    path("rules/new/", r.rule_create, name="catalogue_rule_create"),
    path("rules/preview/", r.rule_preview, name="catalogue_rule_preview"),
    path("rules/divisions/", r.division_options, name="catalogue_division_options"),
    path("rules/units/", r.unit_options_view, name="catalogue_unit_options"),
    path("rules/<int:pk>/replace/", r.rule_replace, name="catalogue_rule_replace"),
    path("rules/<int:pk>/deactivate/", r.rule_deactivate, name="catalogue_rule_deactivate"),
]
