"""The `postmortems` MkDocs plugin (entry point); event handlers call the core."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config as BaseConfig
from mkdocs.plugins import BasePlugin


class PostmortemsConfig(BaseConfig):
    id_prefix = c.Type(str, default="PM")
    default_template = c.Type(str, default="security")
    title_format = c.Type(str, default="Post-mortem – {type_name} – {quarter}")
    types = c.Optional(c.Type((list, dict)))
    blame_terms = c.Optional(c.Type((list, dict)))
    audience = c.Choice(("public", "internal", "restricted"), default="internal")
    include_drafts = c.Type(bool, default=False)
    evidence_max_bytes = c.Type(int, default=10 * 1024 * 1024)
    overdue_fail_days = c.Type(int, default=30)


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    """Validates post-mortems and generates the library pages (see the site issue)."""
