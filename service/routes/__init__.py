"""Thin HTTP handlers, one module per area; ``main.create_app`` includes their routers."""
