"""The ``parcours`` command line: services, migrate, seed, serve and the all-in-one ``up``."""

from gateway.cli._main import app, main

__all__ = ["app", "main"]
