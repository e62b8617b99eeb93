from django.urls import path

from shegong.divisions import views

app_name = "units"
urlpatterns = [
    path("", views.unit_list, name="list"),
    path("new/", views.unit_create, name="create"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("<int:pk>/edit/", views.unit_edit, name="edit"),
    path("<int:pk>/deactivate/", views.unit_deactivate, name="deactivate"),
    path("divisions/", views.division_browser, name="divisions"),
    path("divisions/<str:code>/", views.division_browser, name="division"),
]
