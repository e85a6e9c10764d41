"""Where uploads are stored: Django's file system storage, with names a file system holds.

A file name may have at most 255 bytes on the file systems a site runs on (ext4, XFS,
APFS...). An upload's name is the name it had on the editor's computer, which can be
longer: a long download, or about 90 characters of Japanese (three bytes each). Django
cuts a name to the model field's ``max_length`` in *characters* for the whole path, so
such a file failed to save with a server error. Here the name is cut to
``MAX_NAME_BYTES``, its extension kept, on a character boundary.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage

# Of the 255 bytes a file name may have: room for the "_" and 7 characters Django adds
# when the name is taken.
MAX_NAME_BYTES = 200


def shortened(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` cut to at most ``limit`` bytes of UTF-8, its extension kept."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 20:
        stem, dot, extension = name, "", ""
    room = limit - len((dot + extension).encode())
    cut = stem.encode()[:room].decode(errors="ignore")
    return cut + dot + extension


class UploadStorage(FileSystemStorage):
    """Uploads under ``MEDIA_ROOT``, each name short enough for the file system."""

    def get_valid_name(self, name: str) -> str:
        return shortened(super().get_valid_name(name))
