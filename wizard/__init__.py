"""astro-privatelink: the application layer (CLI, settings, Azure access, engine, sandbox)."""
__version__ = "0.1.0"
