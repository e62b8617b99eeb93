from django.urls import path

from shegong.accounts import desk_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/totp/", views.login_totp_view, name="login_totp"),
    path("login/totp/setup/", views.login_enrol_view, name="login_enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("security/", views.security_view, name="security"),
    path("security/totp/", views.totp_enrol_view, name="totp_enrol"),
    path("security/totp/disable/", views.totp_disable_view, name="totp_disable"),
    # desk: account management
    path("users/", desk_views.user_list, name="user_list"),
    path("users/new/", desk_views.user_create, name="user_create"),
    path("users/<int:pk>/", desk_views.user_detail, name="user_detail"),
    path("users/<int:pk>/grants/", desk_views.grant_add, name="grant_add"),
    path("users/<int:pk>/grants/<int:grant_pk>/remove/", desk_views.grant_remove, name="grant_remove"),
    path("users/<int:pk>/unlock/", desk_views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/totp-off/", desk_views.user_totp_off, name="user_totp_off"),
    path("users/<int:pk>/disable/", desk_views.user_disable, name="user_disable"),
    path("users/<int:pk>/password/", desk_views.user_reset_password, name="user_reset_password"),
]
