"""The build's options, checked before any work starts, each error naming the option it is about.

A wrong ``--search`` placeholder used to surface only after the crawl and every download; a URL
with a password in it was echoed to the terminal and stored by Prefect. Here every option is read
once, up front, and a bad one is one line that names it (and never repeats a credential).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from earsense_m2t.config import EMBEDDED_SITE
from earsense_m2t.egress import redact

#: ``--search`` values that are not templates
SEARCH_KEYWORDS = ("auto", "off", "none", "")


class BadOption(ValueError):
    """An option the build cannot run with; ``str()`` is the message for a person."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


def check_site(site_url: str, option: str = "--site") -> None:
    if site_url == EMBEDDED_SITE:
        return
    try:
        parts = urlsplit(site_url)
        _ = parts.port
    except ValueError as exc:
        raise BadOption(option, f"not a valid URL ({exc})") from None
    if parts.username is not None or parts.password is not None:
        raise BadOption(option, f"{redact(site_url)} carries credentials in the URL; a site needs none, "
                                "and anything in the URL would be logged and stored")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOption(option, f"{site_url!r} is not an http(s) URL with a host (or '{EMBEDDED_SITE}' for the "
                                "bundled mini site)")


def check_output_root(output_root: str | os.PathLike[str], option: str = "--out") -> Path:
    """The output root, created if needed; an error names it when it cannot be created or written."""
    root = Path(output_root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadOption(option, f"cannot create {root} ({exc.strerror or exc})") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise BadOption(option, f"{root} is not writable")
    return root


def check_search(search: str, option: str = "--search") -> None:
    if search in SEARCH_KEYWORDS:
        return
    if "{query}" not in search:
        raise BadOption(option, f"{search!r} has no {{query}} placeholder (use e.g. 'ytsearch{{n}}:{{query}}', "
                                "'auto' or 'off')")
    try:
        search.format(n=1, query="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise BadOption(option, f"{search!r} is not a valid template: only {{n}} and {{query}} may be used "
                                f"({type(exc).__name__}: {exc})") from None


def check_deadline(deadline_s: float | None, option: str = "--deadline") -> None:
    if deadline_s is not None and not deadline_s > 0:
        raise BadOption(option, f"{deadline_s!r} is not a positive number of seconds")


def check_build_options(*, site_url: str, output_root: str | os.PathLike[str], search: str,
                        deadline_s: float | None = None) -> Path:
    """All the build's options at once, before any work; returns the (created) output root."""
    check_deadline(deadline_s)
    check_site(site_url)
    check_search(search)
    return check_output_root(output_root)
