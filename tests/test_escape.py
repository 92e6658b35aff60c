"""Site text shown to a person (issue 23 item 6): one escaping rule per target, table-driven."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable

import pytest
import typer

from earsense_m2t.escape import TerminalSafeLogs, escape_logs, for_html, for_markdown_cell, for_terminal

RETITLE = "http://site.test/\x1b]0;pwned\x07/work/"
TERMINAL = [
    (RETITLE, "http://site.test/\\x1b]0;pwned\\x07/work/"),
    ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),  # NUL, DEL, CSI (C1)
    ("Mozart \u202eeteuqrab", "Mozart \\u202eeteuqrab"),  # a right-to-left override
    ("two\nlines\ttab\r", "two\\nlines\ttab\\x0d"),
    ("Dvořák – Quartet in F «American»", "Dvořák – Quartet in F «American»"),
]


@pytest.mark.parametrize("raw, shown", TERMINAL)
def test_for_terminal(raw, shown):
    assert for_terminal(raw) == shown


def test_for_terminal_keeps_newlines_when_asked():
    assert for_terminal("line 1\nline \x1b[2J2", newlines=True) == "line 1\nline \\x1b[2J2"


MARKDOWN = [
    ("text/html</td><script>alert(1)</script>", "text/html&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("a | b", "a \\| b"),
    ("line\nbreak\r\nand  spaces", "line break and spaces"),
    (RETITLE, "http://site.test/\\\\x1b\\]0;pwned\\\\x07/work/"),
    ("*bold* _it_ `code` [link](x) ~~s~~", "\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\~\\~s\\~\\~"),
    ("AT&T", "AT&amp;T"),
    ("Dvořák", "Dvořák"),
]


@pytest.mark.parametrize("raw, shown", MARKDOWN)
def test_for_markdown_cell(raw, shown):
    assert for_markdown_cell(raw) == shown


HTML = [
    ("</td><script>alert('x')</script>", "&lt;/td&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"),
    ('a "quoted" & \x1b[31mred', "a &quot;quoted&quot; &amp; \\x1b[31mred"),
]


@pytest.mark.parametrize("raw, shown", HTML)
def test_for_html(raw, shown):
    assert for_html(raw) == shown


def test_log_records_are_escaped_by_the_handler_filter():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    escape_logs(handler)
    escape_logs(handler)  # once only
    logger = logging.getLogger("earsense_m2t.test_escape")
    logger.addHandler(handler)
    try:
        logger.warning("crawl of %s failed: %s", RETITLE, "bad\nreason")
    finally:
        logger.removeHandler(handler)
    assert len(handler.filters) == 1
    assert records == ["crawl of http://site.test/\\x1b]0;pwned\\x07/work/ failed: bad\nreason"]


def test_exception_text_in_a_log_record_is_escaped_too():
    handler = logging.Handler()
    escape_logs(handler)
    try:
        raise ValueError(f"site unreachable: {RETITLE}")
    except ValueError:
        record = logging.LogRecord("earsense_m2t.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    handler.filter(record)
    text = logging.Formatter().format(record)
    assert "\x1b" not in text and "\x07" not in text and "\\x1b]0;pwned\\x07" in text


def test_the_build_escapes_every_log_handler_the_stages_and_prefect_write_through():
    from earsense_m2t.flows.build import route_stage_logs

    route_stage_logs()
    handlers = [h for name in ("earsense_m2t", "prefect", "prefect.extra", "prefect.flow_runs", "prefect.task_runs")
                for h in logging.getLogger(name).handlers]
    assert handlers
    assert all(any(isinstance(f, TerminalSafeLogs) for f in h.filters) for h in handlers)


def cli_fail(module: str) -> Callable[[str], object]:
    return importlib.import_module(module).fail


@pytest.mark.parametrize("module", ["earsense_m2t.cli", "earsense_m2t.annotation.tool.cli"])
def test_command_errors_show_site_text_escaped(module, capsys):
    with pytest.raises(typer.Exit):
        cli_fail(module)(f"site unreachable: {RETITLE}\nNothing was published.")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err == "error: site unreachable: http://site.test/\\x1b]0;pwned\\x07/work/\nNothing was published.\n"
