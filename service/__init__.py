"""Throughline's HTTP service: the shell around the ``resolvers`` core (settings, database, routes)."""
