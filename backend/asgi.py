"""The ASGI entry point for servers: ``uvicorn backend.asgi:app`` (``linli serve`` uses it)."""

from backend.app import create_app

app = create_app()
