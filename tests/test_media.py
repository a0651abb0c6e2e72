"""Imported images are served from MEDIA_ROOT, and nothing outside it."""

from pathlib import Path

from django.conf import settings
from django.test import override_settings


def test_media_file_is_served_and_traversal_refused(client, tmp_path):
    """A file under MEDIA_ROOT is served to anyone (its folder name is random);
    a path that climbs out of MEDIA_ROOT is refused and no folder is listed."""
    folder = Path(tmp_path) / "imports" / "3f9c2a7b1d0e"
    folder.mkdir(parents=True)
    (folder / "image1.png").write_bytes(b"\x89PNG fake")
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        from django.urls import clear_url_caches

        clear_url_caches()
        url = settings.MEDIA_URL + "imports/3f9c2a7b1d0e/image1.png"
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"\x89PNG fake"
        assert client.get(settings.MEDIA_URL + "../kb.sqlite3").status_code in (
            400,
            404,
        )
        assert client.get(settings.MEDIA_URL + "imports/").status_code == 404
