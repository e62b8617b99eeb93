from django.urls import URLPattern, URLResolver

# Names live in the "appeals" namespace (included without a namespace of their own by appeals/urls.py).
urlpatterns: list[URLPattern | URLResolver] = []
