"""The theme shipped with the package: its folder, and how it joins a site's Material theme.

The plugin puts `tooling/postmortem_kb/theme/` into the theme's folders (after the knowledge
base's own `overrides/`, so a team's file wins) and lists its CSS and JavaScript in the
site's extra_css / extra_javascript, so they load whatever main.html a team writes.
Knowledge bases made by an older `postmortem init` hold copies of the theme in overrides/;
an unchanged copy is recognised by its hash and must not hide the package's newer files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"
CSS = "assets/postmortems/postmortems.css"
LIBRARY_JS = "assets/postmortems/library.js"
SEARCH_JS = "assets/postmortems/search.js"
# A stand-in for Material's global `mermaid` that loads the vendored copy (no CDN).
MERMAID_JS = "assets/postmortems/mermaid.js"

# SHA-256 of every version of the files that `postmortem init` used to copy into
# overrides/ (from the repository's history). Unchanged copies are stale, not overrides.
OLD_COPIES: dict[str, frozenset[str]] = {
    "main.html": frozenset(
        {
            "219e4ab054f8330c77f89c1b3ca9dae58dcdbdbd45556a831df80f4b58bc0141",
            "5954d70b6b68ae77509b9aea3ade44db18ccca9b92e8f76205307b40003103d9",
            "7d63fdd30974f223a7cb677fda6572a8aff819f0b30f1df1bf019cda91f686a8",
            "d562f5073b3f8e649840b728cf84f719026ea56864b367ac8ce883713a1a691d",
        }
    ),
    CSS: frozenset(
        {
            "2bf7dfc0336cabdb3dfb5c5b598d26c6422169d6036746ecf25243400c13aa15",
            "3eef8fd53c5eab685577d2978d78767813f3f306cf48ba06e7e08c342cd89e57",
            "440145046bc7441a78405f06aabd6758410e4685ee52578e88ccbc999d9497f0",
            "53a065b4c5ff13008afcbd610d1f43bbc848d80ef551180f109a70af9e92fc33",
            "569444e7de793311c70c9324bb323a6522cf94ac3267bbc2c9af4f383b433ddf",
            "aaaee921d44ccc9d78712821b3422935a9691c68f2fd05f528c4ef8c5bc4f4bb",
        }
    ),
    LIBRARY_JS: frozenset(
        {
            "3db6a9b6c9eb6b530e700fb95f91340970691e673a0e039754f168c67d2ffd09",
            "a5ddbe9972bbde704fe9e50424251d4a71cc63d33a514805218c5be587a16ee2",
            "c73a1d70c28220a7a1d5bb0dd3056532608b9510c7f6e9b2266cedd74a96f56f",
        }
    ),
}


def theme_files() -> list[str]:
    """The package theme's files, relative to its folder."""
    return sorted(
        p.relative_to(THEME_DIR).as_posix()
        for p in THEME_DIR.rglob("*")
        if p.is_file() and p.suffix != ".pyc"
    )


def overridden(custom_dir: str | None) -> tuple[list[str], list[str]]:
    """(stale, own): the package theme's file names that CUSTOM_DIR also holds, split into
    unchanged copies from an older `init` and a team's own versions."""
    stale: list[str] = []
    own: list[str] = []
    if not custom_dir:
        return stale, own
    for rel in theme_files():
        path = Path(custom_dir) / rel
        if not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        (stale if digest in OLD_COPIES.get(rel, ()) else own).append(rel)
    return stale, own


def install(config: MkDocsConfig, *, search: bool) -> tuple[list[str], list[str]]:
    """Add the package theme to CONFIG's theme folders and its assets to the page heads.
    Returns `overridden()` so the plugin can tell the reader about stale copies."""
    theme = config.theme
    package = str(THEME_DIR)
    stale, own = overridden(theme.custom_dir)
    if package in theme.dirs:
        theme.dirs.remove(package)  # a plugin instance reused by `serve` rebuilds
    # Behind the team's overrides, ahead of Material; ahead of the overrides too when every
    # clash there is a stale copy (a team's own file always wins).
    custom_first = bool(theme.custom_dir) and theme.dirs[:1] == [theme.custom_dir] and bool(own)
    theme.dirs.insert(1 if custom_first else 0, package)
    if CSS not in config.extra_css:
        config.extra_css.append(CSS)
    scripts = [MERMAID_JS, LIBRARY_JS] + ([SEARCH_JS] if search else [])
    present = {str(s) for s in config.extra_javascript}
    for script in scripts:
        if script not in present:
            config.extra_javascript.append(script)
    return stale, own
