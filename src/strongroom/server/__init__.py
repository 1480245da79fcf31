"""The ASGI application and the request pipeline."""
