from ninja import Router

router = Router()
unit_router = Router()
