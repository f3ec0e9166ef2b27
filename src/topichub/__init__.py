"""topichub: a self-hostable, multi-tenant event-streaming backend."""

__version__ = "0.1.0"
