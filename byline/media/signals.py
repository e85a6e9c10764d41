"""Signals of the media library.

``image_changed(sender, image_id)`` is sent after a library image's alt text,
caption or credit changed or the image was deleted, once the change is
committed; pages that show it are rendered again (``references``).
"""

from django.dispatch import Signal

image_changed = Signal()
