"""Which URLs may receive webhooks: http(s) at public addresses only, unless tests allow private."""

from __future__ import annotations

import pytest

from podcast.errors import ValidationError
from podcast.services.webhooks import check_webhook_url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://93.184.216.34/hook", "https://"),
        ("file:///etc/passwd", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://", "https://"),
        ("", "Give the URL"),
        ("https://user:pw@93.184.216.34/hook", "user names"),
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://172.16.5.5/hook", "private"),
        ("http://100.64.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fd00:ec2::254]/", "private"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "private"),
        ("http://224.0.0.1/hook", "private"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("https://no-such-host.invalid/hook", "could not be found"),
        ("https://93.184.216.34:99999/hook", "not a valid URL"),
        ("https://93.184.216.34/" + "x" * 500, "under 500"),
    ],
)
def test_refused_urls_are_a_field_error(url: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_webhook_url(url, allow_private=False)
    assert set(caught.value.fields) == {"url"}
    assert says in caught.value.fields["url"]


def test_public_addresses_are_accepted_as_given() -> None:
    assert check_webhook_url(" https://93.184.216.34/hooks?x=1 ", allow_private=False) == (
        "https://93.184.216.34/hooks?x=1"
    )
    assert check_webhook_url("http://[2606:2800:220:1::]/h", allow_private=False)


def test_tests_may_allow_private_receivers_but_not_other_schemes() -> None:
    assert check_webhook_url("http://127.0.0.1:8080/hook", allow_private=True)
    with pytest.raises(ValidationError):
        check_webhook_url("ftp://127.0.0.1/hook", allow_private=True)
