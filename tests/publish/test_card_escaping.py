"""Site text in the dataset card is escaped (issue 23 item 6): no control character, no markup, one table row."""

from __future__ import annotations

from earsense_m2t.schemas import Failure
from earsense_m2t.schemas.io import read_records, write_records

HOSTILE = [
    Failure(stage="acquire", item_id="Evil\x1b]0;pwned\x07-Work", code="not_audio",
            reason="http://site.test/media/x.ogg: Content-Type text/html</td><script>alert(1)</script>\x07 is not "
                   "audio | second cell?\nsecond line"),
]


def test_failures_from_a_hostile_site_are_escaped_in_the_card(build, dataset_dir, publish):
    failures = build / "failures.jsonl"
    write_records(failures, [*read_records(failures, Failure), *HOSTILE])
    publish(build)
    card = (dataset_dir / "README.md").read_text(encoding="utf-8")
    assert "\x1b" not in card and "\x07" not in card
    assert "<script>" not in card and "</td>" not in card
    [row] = [line for line in card.splitlines() if "not\\_audio" in line or "not_audio" in line]
    assert "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\\\x07" in row
    assert "Evil\\\\x1b\\]0;pwned\\\\x07-Work" in row
    assert row.count(" | ") == 4 and "second line" in row  # five cells, one line, the reason's pipe escaped
