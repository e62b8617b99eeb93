"""Desk pages of the appeals module, mounted at /desk/appeals/ in the "appeals" namespace. A detail URL
matches only a tracking number (K7M-4PX-92Q), so it cannot swallow the other pages' paths."""

from django.urls import URLPattern, URLResolver, path, re_path

from shegong.appeals.desk import cards, detail, hotline, lists, supervision
from shegong.appeals.desk.access import TRACKING_NO_RE

cards.register()

# Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("", lists.desk_list, name="desk_list"),
    path("hotline/new/", hotline.hotline_new, name="hotline_new"),
    path("supervision/", supervision.supervision_list, name="supervision_list"),
    re_path(rf"^(?P<tracking_no>{TRACKING_NO_RE})/$", detail.desk_detail, name="desk_detail"),
    re_path(
        rf"^(?P<tracking_no>{TRACKING_NO_RE})/actions/(?P<action>[a-z-]+)/$",
        detail.desk_action,
        name="desk_action",
    ),
]
