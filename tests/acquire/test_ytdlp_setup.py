"""The per-download ``YoutubeDL`` is cheap to make, and makes the same choices yt-dlp's own would."""

import pytest
import yt_dlp

from earsense_m2t.acquire.download import Guard, GuardedYoutubeDL
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.egress import EgressPolicy


def _guarded(params: dict) -> GuardedYoutubeDL:
    return GuardedYoutubeDL({"quiet": True, **params}, Guard("http://127.0.0.1/x", EgressPolicy(), Limits()))


@pytest.mark.parametrize("allowed", [None, ["generic"], ["youtube.*", "generic"], ["all"], ["default", "-youtube.*"]])
def test_the_extractors_are_yt_dlps_own_choice_in_its_order(allowed):
    params = {} if allowed is None else {"allowed_extractors": allowed}
    ours = _guarded(params)
    theirs = yt_dlp.YoutubeDL({"quiet": True, **params})
    assert list(ours._ies) == list(theirs._ies)
    assert list(ours._ies_instances) == list(theirs._ies_instances)
    for key, ie in ours._ies_instances.items():  # the catch-all is an instance of each downloader's own
        assert ie is not _guarded(params)._ies_instances[key]
        assert ie._downloader is ours


def test_a_bad_extractor_pattern_is_yt_dlps_error():
    with pytest.raises(ValueError, match="Wrong regex for allowed_extractors"):
        _guarded({"allowed_extractors": ["("]})


def test_handlers_of_two_downloads_share_one_tls_context_per_setting():
    def context(ydl: GuardedYoutubeDL, **kwargs):
        handler = next(iter(ydl._request_director.handlers.values()))
        return handler._make_sslcontext(**kwargs)

    first, second = _guarded({}), _guarded({})
    assert context(first) is context(second)
    assert context(first, legacy_ssl_support=True) is not context(first)
    assert context(_guarded({"nocheckcertificate": True})) is not context(first)
