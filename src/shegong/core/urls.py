"""The auditor's pages, mounted at /desk/audit/ (config/urls.py). Read-only: there is no edit or delete."""

from django.urls import path

from shegong.core import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export/", views.audit_export, name="export"),
    path("<int:pk>/", views.audit_detail, name="detail"),
]
