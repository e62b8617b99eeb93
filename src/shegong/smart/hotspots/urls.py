"""Hotspot pages, mounted at /dashboard/hotspots/ in the "hotspots" namespace."""

from django.urls import path

from shegong.smart.hotspots import views

app_name = "hotspots"
urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("<int:pk>/", views.alert_detail, name="alert_detail"),
    path("<int:pk>/dismiss/", views.alert_dismiss, name="alert_dismiss"),
    path("<int:pk>/task/", views.task_create, name="task_create"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
]
