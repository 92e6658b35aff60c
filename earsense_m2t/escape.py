"""Text from a site, shown to a person: one escaping rule per place it is shown.

A page, a URL, a media title or a server's Content-Type is written by whoever runs the site. Shown raw,
an ``ESC ] 0 ; … BEL`` retitles the terminal (or worse: moves the cursor, rewrites what was printed),
a ``</td><script>`` closes a table cell of the dataset card and starts markup, a ``|`` or a newline
breaks a markdown table. Every place that shows such text goes through one of these:

- :func:`for_terminal`: the command's output, the build summary, log lines. Control characters (C0, DEL,
  C1) and the bidirectional overrides that reorder what is displayed become visible escapes (``\\x1b``,
  ``\\u202e``); newlines survive only where asked for.
- :func:`for_markdown_cell`: a table cell or a line of the dataset card and the Prefect artifacts: one
  line, control characters visible, markdown's inline punctuation backslash-escaped, HTML escaped.
- :func:`for_html`: HTML text or an attribute value: control characters visible, ``& < > " '`` as entities.

:class:`TerminalSafeLogs` applies :func:`for_terminal` to every record a log handler writes.
"""

from __future__ import annotations

import html
import logging
import re

#: C0 controls (but tab and newline, which callers handle), DEL, C1 controls, and the Unicode controls
#: that change the order or direction of what follows (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: markdown's inline punctuation that could start emphasis, code, a link, a table cell or strike-through
_SPACE = re.compile("[ \t\n\r\f\v]+")
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: object, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape; tabs kept; newlines kept only if ``newlines``."""
    shown = _CONTROL.sub(_visible, str(text))
    return shown if newlines else shown.replace("\n", "\\n")


def for_html(text: object) -> str:
    """``text`` safe as HTML text or a quoted attribute value."""
    return html.escape(for_terminal(text), quote=True)


def for_markdown_cell(text: object) -> str:
    """``text`` as one markdown table cell (or inline text): one line, nothing read as markup or HTML."""
    one_line = _CONTROL.sub(_visible, " ".join(_SPACE.split(str(text))).strip())
    return html.escape(_MARKDOWN.sub(r"\\\1", one_line), quote=False)


class TerminalSafeLogs(logging.Filter):
    """A handler filter: the record's message, arguments filled in, made safe for a terminal (newlines kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = for_terminal(message, newlines=True)
        if safe != message:
            record.msg, record.args = safe, None
        if record.exc_info and not record.exc_text:  # the traceback ends with the exception's message
            record.exc_text = for_terminal(logging.Formatter().formatException(record.exc_info), newlines=True)
        return True


def escape_logs(*handlers: logging.Handler) -> None:
    """Add :class:`TerminalSafeLogs` to each handler once."""
    for handler in handlers:
        if not any(isinstance(f, TerminalSafeLogs) for f in handler.filters):
            handler.addFilter(TerminalSafeLogs())


__all__ = ["TerminalSafeLogs", "escape_logs", "for_html", "for_markdown_cell", "for_terminal"]
