"""The pool: loudness range, one excerpt per movement from the middle, exclusions counted by reason."""

import dataclasses

import pytest

from earsense_m2t.annotation.pool import DEFAULT_LOUDNESS_RANGE_LUFS, PoolParams, choose_pool, excerpt_window
from tests.annotation._builds import MovementAudio, make_build


@pytest.mark.parametrize("duration, expected", [(100.0, (35.0, 30.0)), (30.0, (0.0, 30.0)), (12.5, (0.0, 12.5)),
                                                (31.0, (0.5, 30.0))])
def test_excerpt_is_30_s_from_the_middle_or_the_whole_movement(duration, expected):
    assert excerpt_window(duration) == expected


def test_default_range_fits_classical_recordings():
    params = PoolParams()
    assert (params.loudness_min_lufs, params.loudness_max_lufs) == DEFAULT_LOUDNESS_RANGE_LUFS == (-35.0, -10.0)
    with pytest.raises(ValueError, match="loudness_min_lufs -5.0 is not below"):
        PoolParams(loudness_min_lufs=-5.0, loudness_max_lufs=-20.0)


def test_admission_and_exclusions(tmp_path):
    build = make_build(tmp_path, {"W": [MovementAudio(12.0, loudness_lufs=-24.0),
                                        MovementAudio(12.0, loudness_lufs=-41.0),
                                        MovementAudio(12.0, loudness_lufs=-7.5),
                                        MovementAudio(12.0, loudness_lufs=-20.0, flags=("silent",)),
                                        MovementAudio(5.0, loudness_lufs=-20.0),
                                        MovementAudio(40.0, loudness_lufs=-34.9)]})
    no_audio = dataclasses.replace(build.movements[0], id="W#7", number=7)  # a movement without a clip
    no_excerpt = dataclasses.replace(build.movements[0], id="W#8", number=8)  # a clip, but its excerpt failed
    clips = [*build.clips, dataclasses.replace(build.clips[0], id="W#8", movement_id="W#8")]
    segments = [*build.segments, dataclasses.replace(build.segments[0], id="W#8", movement_id="W#8")]
    choice = choose_pool([*build.movements, no_audio, no_excerpt], clips, segments, build.media, build.works,
                         excerpts=build.excerpts)
    assert [c.movement.id for c in choice.admitted] == ["W#1", "W#6"]
    assert {k: code for k, (code, _) in choice.excluded.items()} == {
        "W#2": "too_quiet", "W#3": "too_loud", "W#4": "quality_flag", "W#5": "too_short", "W#8": "no_excerpt"}
    assert "below -35 LUFS" in choice.excluded["W#2"][1]
    w6 = choice.admitted[1]
    assert (w6.start_s, w6.duration_s) == (5.0, 30.0)
    assert w6.media_start_s == pytest.approx(build.segments[5].start_s + 5.0)
    assert w6.work is not None and w6.work.ensemble == "quartet"


def test_range_is_configurable_and_missing_media_is_a_reason(tmp_path):
    build = make_build(tmp_path, {"W": [MovementAudio(12.0, loudness_lufs=-41.0), MovementAudio(12.0)]})
    wide = choose_pool(build.movements, build.clips, build.segments, [], build.works,
                       PoolParams(loudness_min_lufs=-45.0, loudness_max_lufs=-5.0))
    assert wide.admitted == [] and wide.excluded_counts() == {"no_media": 2}
    admitted = choose_pool(build.movements, build.clips, build.segments, build.media, build.works,
                           PoolParams(loudness_min_lufs=-45.0, loudness_max_lufs=-5.0), build.excerpts).admitted
    assert [c.movement.id for c in admitted] == ["W#1", "W#2"]
