"""Indicator pages of the appeals module, mounted at /desk/appeals/indicators/."""

from django.urls import URLPattern, URLResolver, path

from shegong.appeals.indicators import views

# Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.indicators, name="indicators"),
    path("export/", views.indicators_export, name="indicators_export"),
    path("exclusions/", views.exclusions, name="exclusions"),
    path("exclusions/<int:pk>/lift/", views.exclusion_lift, name="exclusion_lift"),
    path("exclude/<str:tracking_no>/", views.exclude, name="exclude"),
]
