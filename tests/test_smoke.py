"""The sample content loads and the minimal pages show it."""

from podcast import PROJECT_ROOT


def test_load_episodes_then_pages(runner, client):
    result = runner.invoke(args=["load-episodes", str(PROJECT_ROOT / "episodes")])
    assert result.exit_code == 0, result.output
    assert "added episode" in result.output
    page = client.get("/")
    assert "Silence and Impunity" in page.get_data(as_text=True)
    episode = client.get("/episodes/sexual-violence-in-central-asia").get_data(as_text=True)
    for name in ("Janette Akhilgova", "Dilfuza Kurolova", "Subhiya Mastonshoeva"):
        assert name in episode
    assert client.get("/feed.xml").status_code == 200
