"""ASGI entry for uvicorn: ``uvicorn gongji.entrypoints.api.asgi:app``."""

from gongji.entrypoints.api.app import create_app

app = create_app()
