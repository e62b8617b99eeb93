from django.urls import path

from shegong.web import views

app_name = "h5"
urlpatterns = [
    path("", views.h5_home, name="home"),
]
