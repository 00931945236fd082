"""Whatever an episode's fields hold, chapters included, /feed.xml answers 200 with valid XML."""

from __future__ import annotations

import feedparser
import lxml.etree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from podcast.errors import ValidationError

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["]]>", "<script>x</script>", "&amp; &#0; &#xD800;", "\x85\ufffd", "</b>"]),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([1e308, -0.0, 17.7, 17.8, 1e6, "12", "x", None]),
)
CHAPTER = st.fixed_dictionaries({"start": NUMBERS, "title": TEXT})
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "summary": TEXT,
        "description": TEXT,
        "season": st.one_of(NUMBERS, TEXT),
        "number": st.one_of(NUMBERS, TEXT),
        "episode_type": st.sampled_from(["full", "trailer", "bonus", "other", ""]),
        "explicit": st.one_of(st.booleans(), TEXT),
        "status": st.sampled_from(["draft", "published", "scheduled", "nope"]),
        "publish_at": st.one_of(
            st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), TEXT
        ),
        "chapters": st.one_of(st.lists(CHAPTER, max_size=4), TEXT),
    },
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=TEXT, fields=FIELDS)
@example(title="Far chapter", fields={"chapters": [{"start": 1e308, "title": "x"}]})
@example(title="NaN chapter", fields={"chapters": [{"start": float("nan"), "title": "x"}]})
def test_no_episode_field_makes_the_feed_fail(client, make_episode, title, fields):
    try:
        make_episode(title=title, **{"status": "published", **fields})
    except ValidationError as exc:
        assert exc.fields, "a refusal names its fields"
    except (TypeError, ValueError) as exc:  # pragma: no cover - would be a 500 on the API
        raise AssertionError(f"unhandled bad input: {exc!r}") from exc
    response = client.get("/feed.xml")
    assert response.status_code == 200
    lxml.etree.fromstring(response.data)
    assert not feedparser.parse(response.data).bozo
