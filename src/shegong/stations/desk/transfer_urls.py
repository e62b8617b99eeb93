"""Excel import and export of stations, mounted at /desk/stations/transfer/ in the "stations" namespace."""

from django.urls import URLPattern, URLResolver, path

from shegong.stations.desk import transfer_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.transfer, name="transfer"),
    path("template/", views.transfer_template, name="transfer_template"),
    path("export/", views.transfer_export, name="transfer_export"),
    path("preview/<str:token>/", views.transfer_preview, name="transfer_preview"),
    path("preview/<str:token>/import/", views.transfer_import, name="transfer_import"),
    path("preview/<str:token>/errors/", views.transfer_errors, name="transfer_errors"),
]
