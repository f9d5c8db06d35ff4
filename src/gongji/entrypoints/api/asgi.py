"""ASGI entry for uvicorn: ``uvicorn gongji.entrypoints.api.asgi:app``.

Refuses to start when the database holds another province than ``GONGJI_PROVINCE``."""

from gongji.bootstrap import bootstrap
from gongji.entrypoints.api.app import create_app
from gongji.services import province_guard

_gj = bootstrap()
province_guard.check(_gj)
app = create_app(_gj)
