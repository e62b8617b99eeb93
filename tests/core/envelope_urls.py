"""A throwaway API built with the project's build_api(), to test the error envelope on its own."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from ninja import Router, Schema

from shegong.core.api import ConflictError, build_api

router = Router()


class ThingIn(Schema):
    name: str
    size: int


@router.post("/things", auth=None)
def create_thing(request, payload: ThingIn) -> dict:
    if payload.size < 0:
        raise ValidationError({"size": ["must not be negative"]})
    return {"name": payload.name, "size": payload.size}


@router.get("/missing", auth=None)
def missing(request) -> dict:
    raise Http404


@router.get("/forbidden", auth=None)
def forbidden(request) -> dict:
    raise PermissionDenied


@router.post("/conflict", auth=None)
def conflict(request) -> dict:
    raise ConflictError("someone else acted first")


@router.get("/private")
def private(request) -> dict:
    return {"user": request.user.get_username()}


api = build_api(routers=[("/t", router)], namespace="envelope-test")
urlpatterns = [path("api/", api.urls)]
