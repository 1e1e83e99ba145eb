"""postmortem-kb: docs-as-code, blameless, security-focused incident post-mortems."""

__version__ = "0.1.0"
