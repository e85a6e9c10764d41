"""The embedded tier serves uploads itself: a name no file can have is a 404, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "9" * 300,  # longer than a file name may be (ENAMETOOLONG)
        "a/" + "b" * 4100,  # longer than a path may be
        "missing.jpg",
    ],
)
def test_an_upload_that_cannot_exist_is_not_found(client, settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path
    response = client.get(f"/media/{name}")
    assert response.status_code == 404


def test_an_upload_is_served(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "photo.txt").write_text("pixels")
    response = client.get("/media/photo.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"pixels"
