"""The mini site's recordings are synthesized at the tempo class its movement titles should get."""

from earsense_m2t.offline.minisite import load_catalogue
from earsense_m2t.tagging.tempo import tag_tempo


def test_tagger_agrees_with_every_mini_site_movement():
    disagreements = [(w.slug, m.title, m.tempo_class, tag_tempo(m.title).tag)
                     for w in load_catalogue() for m in w.movements if tag_tempo(m.title).tag != m.tempo_class]
    assert disagreements == []
