from django.urls import path

from shegong.web import health, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("landing/", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("favicon.ico", views.favicon, name="favicon"),
]
