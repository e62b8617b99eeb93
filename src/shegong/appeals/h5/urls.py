"""The worker's pages of the appeals module, mounted at /h5/appeals/ (docs/appeals-h5.md)."""

from django.urls import URLPattern, URLResolver, path, re_path

from shegong.appeals.h5 import filing, following, privacy

# A tracking number as typed or linked: three groups of three, dashes optional, any case (normalised).
_NUMBER = r"(?P<tracking_no>[2-9A-Za-z]{3}-?[2-9A-Za-z]{3}-?[2-9A-Za-z]{3})"

# Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py).
urlpatterns: list[URLPattern | URLResolver] = [
    path("new/", filing.submit, name="h5_submit"),
    path("new/places/", filing.place_picker, name="h5_places"),
    re_path(rf"^done/{_NUMBER}/$", filing.done, name="h5_done"),
    path("track/", following.track, name="h5_track"),
    path("verify/", following.verify, name="h5_verify"),
    path("verify/leave/", following.forget_phone, name="h5_forget"),
    path("mine/", following.mine, name="h5_mine"),
    path("privacy/", privacy.overview, name="h5_privacy"),
    path("privacy/download/", privacy.download, name="h5_privacy_download"),
    path("privacy/delete/", privacy.erase, name="h5_privacy_erase"),
    re_path(rf"^{_NUMBER}/$", following.detail, name="h5_detail"),
    re_path(rf"^{_NUMBER}/rate/$", following.rate, name="h5_rate"),
    re_path(rf"^{_NUMBER}/withdraw/$", following.withdraw, name="h5_withdraw"),
    re_path(rf"^{_NUMBER}/photos/(?P<pk>[0-9]+)/$", following.photo, name="h5_attachment"),
]
