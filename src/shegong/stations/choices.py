"""Vocabulary of the stations module: kinds, amenities, statuses, directions and permissions.

English msgids; the Chinese labels (爱心驿站, 饮水…) come from the zh_Hans catalogue.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    LOVE_STATION = "love_station", _("Caring rest station")  # 爱心驿站 / 暖新驿站
    PARTY_SERVICE_CENTRE = "party_service_centre", _("Party and public service centre")  # 党群服务中心
    UNION_HOME = "union_home", _("Trade union home")  # 工会之家
    PARTNER_SHOP = "partner_shop", _("Partner shop")  # 合作商户
    OTHER = "other", _("Other")


class Amenity(models.TextChoices):
    WATER = "water", _("Drinking water")
    TOILET = "toilet", _("Toilet")
    MICROWAVE = "microwave", _("Microwave for heating meals")
    PHONE_CHARGING = "phone_charging", _("Phone charging")
    EBIKE_CHARGING = "ebike_charging", _("E-bike charging")
    SHELTER = "shelter", _("Shelter from heat and cold")
    SEATING = "seating", _("Seats for a rest")
    FIRST_AID = "first_aid", _("First-aid kit")
    RAIN_GEAR = "rain_gear", _("Rain gear")
    LEGAL_ADVICE = "legal_advice", _("Legal advice")
    COUNSELLING = "counselling", _("Counselling")


class Status(models.TextChoices):
    OPEN = "open", _("In service")
    SUSPENDED = "suspended", _("Temporarily suspended")
    CLOSED = "closed", _("Closed down")


class Direction(models.TextChoices):
    """Where a station lies seen from the rider: the eight compass points, clockwise from north."""

    NORTH = "north", _("north")
    NORTH_EAST = "north_east", _("north-east")
    EAST = "east", _("east")
    SOUTH_EAST = "south_east", _("south-east")
    SOUTH = "south", _("south")
    SOUTH_WEST = "south_west", _("south-west")
    WEST = "west", _("west")
    NORTH_WEST = "north_west", _("north-west")


class StationsPerm(models.TextChoices):
    VIEW = "stations:station:view", _("View stations")
    MANAGE = "stations:station:manage", _("Create and edit stations")


class FeedbackKind(models.TextChoices):
    """What a rider says about a station from the H5 page. Everything but THUMBS_UP is a problem that
    becomes a low-priority appeal for the station's operator."""

    THUMBS_UP = "thumbs_up", _("Helpful")
    CLOSED_WHEN_OPEN = "closed_when_open", _("Closed when it should be open")
    NO_WATER = "no_water", _("No drinking water")
    AMENITY_MISSING = "amenity_missing", _("A listed service is missing")
    WRONG_LOCATION = "wrong_location", _("Wrong location or address")
    UNFRIENDLY = "unfriendly", _("Turned away or treated badly")
    OTHER = "other", _("Other problem")

    @classmethod
    def problems(cls) -> list[str]:
        return [k for k in cls.values if k != cls.THUMBS_UP]
