"""The knowledge base's configuration: the `postmortems` plugin's settings in mkdocs.yml.

Read with plain YAML so that the core needs no MkDocs; tags such as
`!!python/name:...` that MkDocs resolves are kept as inert strings here.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .blame import PATTERNS as BLAME_PATTERNS
from .catalogue import enabled as enabled_rules
from .errors import ConfigError
from .model import DEFAULT_TYPES

CONFIG_FILE = "mkdocs.yml"
PLUGIN_NAME = "postmortems"
DEFAULT_TITLE_FORMAT = "Post-mortem – {type_name} – {quarter}"
AUDIENCE_ENV = "POSTMORTEM_AUDIENCE"


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads MkDocs' python tags as plain strings instead of failing, and
    refuses a key written twice in one mapping (YAML would keep the last one silently: a
    second `audience:` could widen what a site shows)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key `{key_node.value}` appears twice (first on line "
                        f"{seen[key_node.value]}): keep the value you mean and delete the other",
                        key_node.start_mark,
                    )
                seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


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
    blame_terms: dict[str, str] = field(default_factory=dict)  # added to core/blame.py's
    blame_disable: tuple[str, ...] = ()  # built-in PM501 patterns switched off
    audience: str = "internal"
    include_drafts: bool = False
    evidence_max_bytes: int = 10 * 1024 * 1024
    overdue_fail_days: int = 30
    site_url: str = ""
    select: tuple[str, ...] = ()  # rule ids or prefixes; empty: every rule
    ignore: tuple[str, ...] = ()
    dot_names_left_out: bool = True  # `left_out`: False when `exclude_docs` may take them back

    def left_out(self, name: str) -> bool:
        """Whether a file or folder NAME in the docs folder is in no site and no part of the
        knowledge base: a name starting with a dot, which MkDocs leaves out of every site
        (its `exclude_docs` starts with `.*`). Editors keep such files beside the one open:
        Emacs' lock `.#x.md` (a link to nowhere), Vim's swap `.x.md.swp`. Not when the
        `exclude_docs` of mkdocs.yml holds a `!` line, which could take one back into the
        site: then they are looked at like any other file."""
        return self.dot_names_left_out and name.startswith(".")

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

    def relative(self, path: Path | str) -> str:
        """PATH relative to the root, as written (a symlink keeps its own name)."""
        text = os.fspath(path)
        prefixes = self._root_prefixes()
        if text.startswith(prefixes[0]) and "/." not in text:  # already absolute and normal
            return text[len(prefixes[0]) :].replace(os.sep, "/")
        absolute = os.path.abspath(text)
        for prefix in prefixes:
            if absolute.startswith(prefix):
                return absolute[len(prefix) :].replace(os.sep, "/")
        return Path(path).as_posix()

    def spelled_from_root(self, path: Path) -> Path:
        """PATH as it lies under the root when it reaches the knowledge base through a link to
        the root or above it (`/link/postmortems/2026/x.md`, `/link` -> the root): the same
        file, so that it is not taken for a second one outside. A link below the root, and a
        file that is a link, keep their own names (PM703 and PM004 judge them)."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._root_prefixes()):
            return path
        real_root = os.path.realpath(self.root)
        parent = os.path.realpath(os.path.dirname(absolute))
        if parent != real_root and not parent.startswith(os.path.join(real_root, "")):
            return path
        return Path(self.root, os.path.relpath(parent, real_root), os.path.basename(absolute))

    def _root_prefixes(self) -> tuple[str, str]:
        """The root as written and as resolved, each ending in a separator (cached)."""
        cached = self.__dict__.get("_prefixes")
        if cached is None or cached[0] != self.root:
            prefixes = (
                os.path.join(os.path.abspath(self.root), ""),
                os.path.join(os.path.realpath(self.root), ""),
            )
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
        raise ConfigError(
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            path=CONFIG_FILE,
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError("must be a mapping of settings", path=CONFIG_FILE, line=1)
    options = plugin_options(raw) or {}
    docs_dir, site_url = raw.get("docs_dir") or "docs", raw.get("site_url") or ""
    for key, value in (("docs_dir", docs_dir), ("site_url", site_url)):
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be text (got {_shown(value)})", path=CONFIG_FILE)
    config = config_from_options(root, options, docs_dir=docs_dir, site_url=site_url)
    exclude = raw.get("exclude_docs")
    config.dot_names_left_out = dot_names_left_out(
        exclude.split("\n") if isinstance(exclude, str) else ()
    )
    return config


def dot_names_left_out(exclude_docs: Iterable[str]) -> bool:
    """Whether MkDocs leaves every name starting with a dot out of the site, given the lines
    of mkdocs.yml's `exclude_docs` (added to its own `.*`): unless one of them takes
    something back (`!`)."""
    return not any(line.strip().startswith("!") for line in exclude_docs)


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
TITLE_FIELDS = ("type_name", "type", "quarter", "severity", "id", "year")
# A format spec in title_format: an optional fill and alignment and a width of at most 3
# digits (`{type_name:<20}`); anything else (huge widths, nested fields) is refused.
_TITLE_SPEC = re.compile(r"(?:.?[<>^])?\d{0,3}")


def _shown(value: Any) -> str:
    """A value for an error message: short, whatever it is."""
    text = (
        repr(value)
        if isinstance(value, (str, int, float, bool)) or value is None
        else type(value).__name__
    )
    return text if len(text) <= 60 else text[:57] + "..."


def _text(key: str, value: Any, what: str) -> str:
    """VALUE when it is non-empty text; an error naming KEY otherwise (null, a number, a
    list...)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{key}: each entry must be {what} as non-empty text (got {_shown(value)})",
            path=CONFIG_FILE,
        )
    return value


def _check_title_format(title_format: str) -> None:
    """Only the known fields, no attribute or index access, no conversions, small widths."""
    fields = ", ".join(f"{{{name}}}" for name in TITLE_FIELDS)
    try:
        parsed = list(string.Formatter().parse(title_format))
    except ValueError as exc:
        raise ConfigError(
            f"title_format is not a valid format ({exc}); write text with "
            f'fields among {fields}, e.g. "{DEFAULT_TITLE_FORMAT}"; '
            "a literal brace is written twice: {{ }}",
            path=CONFIG_FILE,
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TITLE_FIELDS:
            raise ConfigError(
                f"title_format has an unknown field {{{name}}}: use {fields}", path=CONFIG_FILE
            )
        if conversion or not _TITLE_SPEC.fullmatch(spec or ""):
            raise ConfigError(
                f"title_format: {{{name}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} is not allowed: write the field "
                f"plainly, or with an alignment and a width up to 999 "
                f"(e.g. {{{name}:<20}})",
                path=CONFIG_FILE,
            )


def config_from_options(
    root: Path, options: dict[str, Any], docs_dir: str = "postmortems", site_url: str = ""
) -> Config:
    """Build a Config from the plugin's settings, checking each one."""
    if not isinstance(options, dict):
        raise ConfigError(
            f"the `{PLUGIN_NAME}` plugin settings must be a mapping", path=CONFIG_FILE
        )
    config = Config(root=root, docs_dir=str(docs_dir), site_url=site_url)
    known = {
        "id_prefix",
        "default_template",
        "title_format",
        "types",
        "blame_terms",
        "audience",
        "include_drafts",
        "evidence_max_bytes",
        "overdue_fail_days",
        "select",
        "ignore",
        "blame_disable",
    }
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"unknown `{PLUGIN_NAME}` setting(s): {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}",
            path=CONFIG_FILE,
        )

    prefix = options.get("id_prefix", config.id_prefix)
    if (
        not isinstance(prefix, str)
        or not prefix.isalnum()
        or not prefix[:1].isupper()
        or prefix.upper() != prefix
    ):
        raise ConfigError(
            f"id_prefix must be upper-case letters and digits starting with a "
            f"letter, e.g. PM (got {prefix!r})",
            path=CONFIG_FILE,
        )
    config.id_prefix = prefix

    for name in ("default_template", "title_format"):
        value = options.get(name, getattr(config, name))
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name} must be a non-empty string", path=CONFIG_FILE)
        setattr(config, name, value)
    _check_title_format(config.title_format)

    types = options.get("types")
    if types is not None:
        if isinstance(types, list):
            slugs = [_text("types", t, "a slug") for t in types]
            config.types = {
                t: DEFAULT_TYPES.get(t, t.replace("-", " ").capitalize()) for t in slugs
            }
        elif isinstance(types, dict):
            config.types = {
                _text("types", k, "a slug"): _text(f"types: {k}", v, "a name")
                for k, v in types.items()
            }
        else:
            raise ConfigError(
                "types must be a list of slugs or a mapping slug: name", path=CONFIG_FILE
            )
        if not config.types:
            raise ConfigError("types must name at least one incident type", path=CONFIG_FILE)
        for slug in config.types:
            if not _SLUG.fullmatch(slug):
                raise ConfigError(
                    f"types: {slug!r} is not a slug: lower-case letters, digits "
                    "and hyphens, e.g. data-breach",
                    path=CONFIG_FILE,
                )

    terms = options.get("blame_terms")
    if terms is not None:
        if isinstance(terms, list):
            extra = {
                _text("blame_terms", t, "a term"): "describe the system and conditions instead"
                for t in terms
            }
        elif isinstance(terms, dict):
            extra = {
                _text("blame_terms", k, "a term"): _text(
                    f"blame_terms: {k}", v, "a suggested rewording"
                )
                for k, v in terms.items()
            }
        else:
            raise ConfigError(
                "blame_terms must be a list of terms or a mapping term: suggested rewording",
                path=CONFIG_FILE,
            )
        config.blame_terms.update(extra)
    disable = options.get("blame_disable")
    if disable is not None:
        if isinstance(disable, str):
            disable = [disable]
        unknown_patterns = (
            [str(p) for p in disable if p not in BLAME_PATTERNS]
            if isinstance(disable, list)
            else None
        )
        if unknown_patterns is None or unknown_patterns:
            raise ConfigError(
                f"blame_disable must list built-in PM501 patterns: "
                f"{', '.join(BLAME_PATTERNS)}"
                + (f" (not {', '.join(unknown_patterns)})" if unknown_patterns else ""),
                path=CONFIG_FILE,
            )
        config.blame_disable = tuple(disable)

    for name in ("select", "ignore"):
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of rule ids, e.g. [PM501]", path=CONFIG_FILE)
        setattr(config, name, tuple(value))
    try:
        enabled_rules(config.select, config.ignore)
    except ValueError as exc:
        raise ConfigError(str(exc), path=CONFIG_FILE) from None

    audience = os.environ.get(AUDIENCE_ENV) or options.get("audience", config.audience)
    if audience not in ("public", "internal", "restricted"):
        raise ConfigError(
            f"audience must be public, internal or restricted (got {audience!r})", path=CONFIG_FILE
        )
    config.audience = audience
    drafts = options.get("include_drafts", config.include_drafts)
    if not isinstance(drafts, bool):
        raise ConfigError(
            f"include_drafts must be true or false (got {drafts!r})", path=CONFIG_FILE
        )
    config.include_drafts = drafts
    for name, most in (("evidence_max_bytes", 1 << 40), ("overdue_fail_days", 36_500)):
        value = options.get(name, getattr(config, name))
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
            raise ConfigError(
                f"{name} must be a whole number from 0 to {most} (got {_shown(value)})",
                path=CONFIG_FILE,
            )
        setattr(config, name, value)
    return config
