"""Serving appeal attachments to those allowed to see them (mounted at /desk/appeals/files/)."""

from django.urls import URLPattern, URLResolver, path

from shegong.appeals.files import views

# Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", views.attachment, name="attachment"),
]
