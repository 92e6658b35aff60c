"""The egress policy, table-driven: which URLs a crawl may request, decided before any socket opens."""


import pytest

from earsense_m2t.egress import EgressPolicy, EgressRefused, redact

PUBLIC_STAND_IN = "127.0.0.5"  # a loopback address presented as a public site



PUBLIC_SITE = EgressPolicy.for_site(f"http://{PUBLIC_STAND_IN}:8000/chamber-music/", treat_as_public=[PUBLIC_STAND_IN])
LOCAL_SITE = EgressPolicy.for_site("http://127.0.0.1:8000/chamber-music/")

CASES = [
    (PUBLIC_SITE, f"http://{PUBLIC_STAND_IN}:9999/media/a.ogg", None),
    (PUBLIC_SITE, "http://127.0.0.1:9999/media/a.ogg", "127.0.0.1 is not public"),
    (PUBLIC_SITE, "http://localhost:8000/", "localhost resolves to"),
    (PUBLIC_SITE, "http://[::1]:8000/", "::1 is not public"),
    (PUBLIC_SITE, "http://10.0.0.1/", "10.0.0.1 is not public"),
    (PUBLIC_SITE, "http://192.168.1.20/", "is not public"),
    (PUBLIC_SITE, "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not public"),
    (PUBLIC_SITE, "http://[::ffff:10.0.0.1]/", "is not public"),
    (PUBLIC_SITE, "http://224.0.0.1/", "is not public"),
    (PUBLIC_SITE, "file:///etc/passwd", "scheme 'file'"),
    (PUBLIC_SITE, "ftp://example.org/x", "scheme 'ftp'"),
    (PUBLIC_SITE, "http://user:s3cret@127.0.0.5/", "credentials"),
    (LOCAL_SITE, "http://127.0.0.1:8000/media/a.ogg", None),
    (LOCAL_SITE, "https://127.0.0.1:8000/media/a.ogg", "not the site's own origin"),
    (LOCAL_SITE, "http://127.0.0.1:9999/media/a.ogg", "not the site's own origin"),
    (LOCAL_SITE, "http://127.0.0.1/", "not the site's own origin"),
    (LOCAL_SITE, "http://127.0.0.2:8000/", "not the site's own origin"),
    (LOCAL_SITE, "http://localhost:9999/", "not the site's own origin"),
    (LOCAL_SITE, "http://[::1]:8000/", "not the site's own origin"),
    (LOCAL_SITE, "http://[::ffff:127.0.0.1]:9999/", "not the site's own origin"),
    (LOCAL_SITE, "http://93.184.216.34/a.ogg", None),
    (LOCAL_SITE, "http://10.0.0.1/", "10.0.0.1 is not public"),
]


@pytest.mark.parametrize("policy, url, refusal", CASES)
def test_policy(no_sockets, policy, url, refusal):
    if refusal is None:
        policy.check(url)
        return
    with pytest.raises(EgressRefused, match=refusal) as err:
        policy.check(url)
    assert "s3cret" not in str(err.value)


def test_an_injected_resolver_decides_for_names(no_sockets):
    policy = EgressPolicy(resolver=lambda host: {"public.test": ["93.184.216.34"], "inside.test": ["10.1.2.3"]}[host])
    policy.check("https://public.test/x")
    with pytest.raises(EgressRefused, match="inside.test resolves to 10.1.2.3"):
        policy.check("https://inside.test/x")


def test_policy_round_trips_to_the_crawler_process():
    assert EgressPolicy.from_json(PUBLIC_SITE.to_json()).treat_as_public == PUBLIC_SITE.treat_as_public
    assert EgressPolicy.from_json(LOCAL_SITE.to_json()) == LOCAL_SITE
    with pytest.raises(EgressRefused, match="not the site's own origin"):
        EgressPolicy.from_json(LOCAL_SITE.to_json()).check("http://127.0.0.1:9999/")


def test_redact():
    assert redact("https://user:pw@example.org:8443/a?b=1") == "https://example.org:8443/a?b=1"
    assert redact("https://example.org/a") == "https://example.org/a"
