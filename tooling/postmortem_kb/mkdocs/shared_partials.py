"""Material's navigation partials rendered once per folder, not once per post-mortem.

Every page carries the site navigation (the sidebar, which is also the phone's menu, and the
tabs). For a page that is not itself in the navigation nothing in it is marked active, and
its links are relative to the page's folder, so every post-mortem of a year folder gets the
same bytes: rendering them a thousand times cost more than half a second at 1,000
post-mortems. The partial is rendered for the first post-mortem of each folder and the text
reused for the others; a page in the navigation, or a folder the navigation itself links
into, is always rendered afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from typing import Any

PARTIALS = ("partials/nav.html", "partials/tabs.html")


def share(env: Any, nav: Any, shareable: Container[str]) -> None:
    """Wrap the PARTIALS of ENV (a Jinja environment) so that pages whose source path is
    in SHAREABLE and whose folder NAV does not link into render them once per folder."""
    nav_pages = list(getattr(nav, "pages", None) or ())
    nav_urls = [p.url for p in nav_pages]
    in_nav = {id(p) for p in nav_pages}

    def key(context: Any) -> str | None:
        page = context.get("page")
        if page is None or id(page) in in_nav or page.file.src_uri not in shareable:
            return None
        url = str(page.url)
        folder = url[: url.rstrip("/").rfind("/") + 1]  # "2026/PM-…/" -> "2026/"
        if not folder or any(u.startswith(folder) for u in nav_urls):
            return None
        return folder

    for name in PARTIALS:
        try:
            template = env.get_template(name)
        except Exception:  # a theme without the partial: nothing to share
            continue
        template.root_render_func = _once_per_key(template.root_render_func, key)


def _once_per_key(
    render: Callable[[Any], Iterator[str]], key: Callable[[Any], str | None]
) -> Callable[[Any], Iterator[str]]:
    done: dict[str, str] = {}

    def root(context: Any) -> Iterator[str]:
        k = key(context)
        if k is None:
            yield from render(context)
            return
        text = done.get(k)
        if text is None:
            text = done[k] = "".join(render(context))
        yield text

    return root
