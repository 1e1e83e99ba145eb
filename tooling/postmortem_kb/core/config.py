"""The knowledge base's configuration: the `postmortems` plugin's settings in mkdocs.yml.

Read with plain YAML so that the core needs no MkDocs; tags such as
`!!python/name:...` that MkDocs resolves are kept as inert strings here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalogue import enabled as enabled_rules
from .errors import ConfigError
from .model import DEFAULT_TYPES

CONFIG_FILE = "mkdocs.yml"
PLUGIN_NAME = "postmortems"
DEFAULT_TITLE_FORMAT = "Post-mortem – {type_name} – {quarter}"
AUDIENCE_ENV = "POSTMORTEM_AUDIENCE"

DEFAULT_BLAME_TERMS: dict[str, str] = {
    "human error": "describe the conditions that made the action possible "
                   "(a missing guardrail, an unclear runbook, a confusing interface)",
    "careless": "describe what the system allowed, e.g. 'the tool accepted the command "
                "without a confirmation step'",
    "carelessness": "describe what the system allowed rather than a person's care",
    "should have known": "say what information was or was not available at the time",
    "negligent": "describe the gap in process or tooling",
    "negligence": "describe the gap in process or tooling",
    "blame": "describe contributing factors; post-mortems here are blameless",
    "blamed": "describe contributing factors; post-mortems here are blameless",
    "fault of": "describe contributing factors rather than whose fault it was",
    "'s fault": "describe contributing factors rather than whose fault it was",
    "sloppy": "describe the missing check or guardrail",
    "incompetent": "describe the missing training, documentation or tooling",
    "lazy": "describe the incentives or time pressure involved",
    "stupid": "describe the decision in the context it was made",
    "idiot": "describe the decision in the context it was made",
    "forgot to": "say which step was not part of the checklist or automation",
    "ignored the alert": "say why the alert was not acted on (noise, routing, fatigue)",
}


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads MkDocs' python tags as plain strings instead of failing."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return f"!{suffix}:{node.value}"
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("", _any_tag)


@dataclass
class Config:
    """Everything the core needs to know about one knowledge base."""

    root: Path
    docs_dir: str = "postmortems"
    id_prefix: str = "PM"
    default_template: str = "security"
    title_format: str = DEFAULT_TITLE_FORMAT
    types: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TYPES))
    blame_terms: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BLAME_TERMS))
    audience: str = "internal"
    include_drafts: bool = False
    evidence_max_bytes: int = 10 * 1024 * 1024
    overdue_fail_days: int = 30
    site_url: str = ""
    select: tuple[str, ...] = ()  # rule ids or prefixes; empty: every rule
    ignore: tuple[str, ...] = ()

    @property
    def enabled_rules(self) -> frozenset[str]:
        """The rules `select` and `ignore` leave in force (checked when the config is read)."""
        key = (self.select, self.ignore)
        cached = self.__dict__.get("_enabled")
        if cached is None or cached[0] != key:
            cached = (key, enabled_rules(self.select, self.ignore))
            self.__dict__["_enabled"] = cached
        return cached[1]

    def choose_rules(self, select: tuple[str, ...] | None, ignore: tuple[str, ...]) -> None:
        """`check --select/--ignore`: SELECT replaces the configured selection, IGNORE adds
        to the configured ignores. Raises ConfigError for an id no rule has."""
        chosen = (tuple(select) if select else self.select, self.ignore + tuple(ignore))
        try:
            enabled_rules(*chosen)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.select, self.ignore = chosen

    @property
    def docs_path(self) -> Path:
        cached = self.__dict__.get("_docs_path")
        if cached is None or cached[0] != (self.root, self.docs_dir):
            cached = ((self.root, self.docs_dir), self.root / self.docs_dir)
            self.__dict__["_docs_path"] = cached
        return cached[1]

    def relative(self, path: Path) -> str:
        """PATH relative to the root, as written (a symlink keeps its own name)."""
        text = os.fspath(path)
        prefixes = self._root_prefixes()
        if text.startswith(prefixes[0]) and "/." not in text:  # already absolute and normal
            return text[len(prefixes[0]):].replace(os.sep, "/")
        absolute = os.path.abspath(text)
        for prefix in prefixes:
            if absolute.startswith(prefix):
                return absolute[len(prefix):].replace(os.sep, "/")
        return Path(path).as_posix()

    def _root_prefixes(self) -> tuple[str, str]:
        """The root as written and as resolved, each ending in a separator (cached)."""
        cached = self.__dict__.get("_prefixes")
        if cached is None or cached[0] != self.root:
            prefixes = (os.path.join(os.path.abspath(self.root), ""),
                        os.path.join(os.path.realpath(self.root), ""))
            cached = (self.root, prefixes)
            self.__dict__["_prefixes"] = cached
        return cached[1]

    def type_name(self, slug: str) -> str:
        return self.types.get(slug, slug.replace("-", " ").capitalize())


def find_root(start: Path | None = None) -> Path:
    """The nearest folder upward from `start` that holds mkdocs.yml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_FILE} found in {here} or any folder above it: run inside a knowledge "
        "base, pass -C DIR, or create one with `postmortem init DIR`"
    )


def plugin_options(mkdocs_config: dict[str, Any]) -> dict[str, Any] | None:
    plugins = mkdocs_config.get("plugins")
    if isinstance(plugins, dict):
        entries: list[Any] = [{k: v} for k, v in plugins.items()]
    elif isinstance(plugins, list):
        entries = plugins
    else:
        return None
    for entry in entries:
        if entry == PLUGIN_NAME:
            return {}
        if isinstance(entry, dict) and PLUGIN_NAME in entry:
            return entry[PLUGIN_NAME] or {}
    return None


def load_config(root: Path) -> Config:
    path = root / CONFIG_FILE
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_TolerantLoader)
    except FileNotFoundError:
        raise ConfigError(f"{CONFIG_FILE} not found in {root}") from None
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8", path=CONFIG_FILE) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"malformed YAML: {getattr(exc, 'problem', exc)}", path=CONFIG_FILE,
                          line=mark.line + 1 if mark else None) from None
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping of settings", path=CONFIG_FILE, line=1)
    options = plugin_options(raw) or {}
    return config_from_options(root, options, docs_dir=raw.get("docs_dir") or "docs",
                               site_url=str(raw.get("site_url") or ""))


def config_from_options(root: Path, options: dict[str, Any], docs_dir: str = "postmortems",
                        site_url: str = "") -> Config:
    """Build a Config from the plugin's settings, checking each one."""
    if not isinstance(options, dict):
        raise ConfigError(f"the `{PLUGIN_NAME}` plugin settings must be a mapping",
                          path=CONFIG_FILE)
    config = Config(root=root, docs_dir=str(docs_dir), site_url=site_url)
    known = {"id_prefix", "default_template", "title_format", "types", "blame_terms",
             "audience", "include_drafts", "evidence_max_bytes", "overdue_fail_days",
             "select", "ignore"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"unknown `{PLUGIN_NAME}` setting(s): {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(known))}", path=CONFIG_FILE)

    prefix = options.get("id_prefix", config.id_prefix)
    if not isinstance(prefix, str) or not prefix.isalnum() or not prefix[:1].isupper() \
            or prefix.upper() != prefix:
        raise ConfigError(f"id_prefix must be upper-case letters and digits starting with a "
                          f"letter, e.g. PM (got {prefix!r})", path=CONFIG_FILE)
    config.id_prefix = prefix

    for name in ("default_template", "title_format"):
        value = options.get(name, getattr(config, name))
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name} must be a non-empty string", path=CONFIG_FILE)
        setattr(config, name, value)
    try:
        config.title_format.format(type_name="x", type="x", quarter="x", severity="x",
                                   id="x", year="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"title_format has an unknown field {exc}; use {{type_name}}, "
                          "{type}, {quarter}, {severity}, {id}, {year}", path=CONFIG_FILE) from None

    types = options.get("types")
    if types is not None:
        if isinstance(types, list):
            config.types = {str(t): DEFAULT_TYPES.get(str(t), str(t).replace("-", " ").capitalize())
                            for t in types}
        elif isinstance(types, dict):
            config.types = {str(k): str(v) for k, v in types.items()}
        else:
            raise ConfigError("types must be a list of slugs or a mapping slug: name",
                              path=CONFIG_FILE)
        if not config.types:
            raise ConfigError("types must name at least one incident type", path=CONFIG_FILE)

    terms = options.get("blame_terms")
    if terms is not None:
        if isinstance(terms, list):
            extra = {str(t): "describe the system and conditions instead" for t in terms}
        elif isinstance(terms, dict):
            extra = {str(k): str(v) for k, v in terms.items()}
        else:
            raise ConfigError("blame_terms must be a list of terms or a mapping term: "
                              "suggested rewording", path=CONFIG_FILE)
        config.blame_terms.update(extra)

    for name in ("select", "ignore"):
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of rule ids, e.g. [PM501]",
                              path=CONFIG_FILE)
        setattr(config, name, tuple(value))
    try:
        enabled_rules(config.select, config.ignore)
    except ValueError as exc:
        raise ConfigError(str(exc), path=CONFIG_FILE) from None

    audience = os.environ.get(AUDIENCE_ENV) or options.get("audience", config.audience)
    if audience not in ("public", "internal", "restricted"):
        raise ConfigError(f"audience must be public, internal or restricted (got {audience!r})",
                          path=CONFIG_FILE)
    config.audience = audience
    config.include_drafts = bool(options.get("include_drafts", config.include_drafts))
    for name in ("evidence_max_bytes", "overdue_fail_days"):
        value = options.get(name, getattr(config, name))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be a whole number of at least 0", path=CONFIG_FILE)
        setattr(config, name, value)
    return config
