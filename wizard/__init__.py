"""astro-privatelink: the application. `core` (answers, record, Azure access), `engine` (plans and applies the
steps), the front ends (`cli`, `tui`, `plain`), `export`, `report`, `console`, and the `sandbox` (a local Azure).

The version lives here and only here; pyproject.toml reads it.
"""

__version__ = "0.1.0"
