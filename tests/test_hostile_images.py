"""Decompression bombs as artwork, episode image or guest photo: a field error, never a 500."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from lxml import html as lxml_html
from support.api import episode_form, seed_show_and_token
from support.data import SHOW_SETTINGS

from podcast.errors import ValidationError
from podcast.extensions import db
from podcast.services import images

SIDE = 30_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG, compressed as far as zlib goes (30000 px square: 109 kB)."""
    row = b"\0" * (1 + (width + 7) // 8)  # the filter byte, then the pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row * 100) for _ in range(height // 100))
    idat += compressor.compress(row * (height % 100)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)
    return data + _chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """A 30000x30000 PNG: 900 million pixels once decoded, from about 109 kB."""
    data = _png(SIDE, SIDE)
    assert len(data) < 200_000
    return data


def _part(data: bytes, name: str = "bomb.png") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def _refusal(response, field: str) -> str:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    message = response.get_json()["error"]["fields"][field]
    assert "too large" in message and "6000×6000" in message, message
    return message


def test_inspect_image_refuses_a_bomb(tmp_path: Path, bomb: bytes) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    with pytest.raises(ValidationError) as caught:
        images.inspect_image(path, "photo")
    assert "too large" in caught.value.fields["photo"]


def test_an_image_just_over_the_pixel_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(_png(7000, 7000))
    with pytest.raises(ValidationError) as caught:
        images.inspect_image(path, "photo")
    assert "7000×7000" in caught.value.fields["photo"]
    path.write_bytes(_png(6000, 6000))
    assert images.inspect_image(path, "photo").width == 6000


def test_pillow_pixel_limit_is_set_to_the_largest_image_accepted() -> None:
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS == images.MAX_PIXELS == images.PHOTO_MAX**2


def test_api_refuses_a_bomb_on_every_image_field(app, bomb, storage) -> None:
    headers = seed_show_and_token()
    client = app.test_client()
    created = client.post("/api/v1/episodes", headers=headers, data=episode_form())
    episode_id = created.get_json()["id"]
    guest = client.post("/api/v1/guests", headers=headers, json={"name": "Dilfuza Kurolova"})
    guest_id = guest.get_json()["id"]
    keys = set(storage.iter_keys())
    _refusal(
        client.post("/api/v1/episodes", headers=headers, data=episode_form(image=_part(bomb))),
        "image",
    )
    _refusal(
        client.patch(
            f"/api/v1/episodes/{episode_id}", headers=headers, data={"image": _part(bomb)}
        ),
        "image",
    )
    _refusal(
        client.patch(f"/api/v1/guests/{guest_id}", headers=headers, data={"photo": _part(bomb)}),
        "photo",
    )
    _refusal(
        client.patch("/api/v1/show", headers=headers, data={"artwork": _part(bomb)}), "artwork"
    )
    assert set(storage.iter_keys()) == keys


def test_admin_forms_refuse_a_bomb_next_to_the_field(client, login, no_csrf, show, bomb) -> None:
    from test_admin_show import SETTINGS

    login("admin")
    forms = [
        (
            "/admin/episodes/new",
            {"title": "Bomb", "action": "draft", "image": _part(bomb)},
            "image",
        ),
        ("/admin/guests/new", {"name": "Bomb", "photo": _part(bomb)}, "photo"),
        ("/admin/show", {**SETTINGS, "artwork": _part(bomb)}, "artwork"),
    ]
    for url, data, field in forms:
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 422, (url, response.status_code)
        doc = lxml_html.fromstring(response.get_data(as_text=True))
        message = doc.get_element_by_id(f"{field}-error").text_content()
        assert "too large" in message, (url, message)


def test_seed_loader_reports_a_bomb_cover_and_loads_no_half_show(app, runner, tmp_path, bomb):
    root = tmp_path / "seed"
    root.mkdir()
    (root / "bomb.png").write_bytes(bomb)
    settings = "\n".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}"
        for key, value in SHOW_SETTINGS.items()
        if key != "hosts"
    )
    (root / "show.toml").write_text(settings + '\ncover = "bomb.png"\n', encoding="utf-8")
    result = runner.invoke(args=["load-episodes", str(root)])
    assert result.exit_code == 1
    assert "too large" in result.output, result.output
    from podcast.services.queries import primary_show

    assert primary_show(db.session) is None
