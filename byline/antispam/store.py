"""Where the current text model lives: in the database, versioned, shared by servers.

Each app server keeps the model it last loaded with its version; every check asks the
database for the latest version number (one indexed lookup) and reloads only when it
changed, so a moderator's decision taught on one server is used by all of them on their
next check. A model that is missing, corrupt or of another feature scheme is replaced by
the shipped starting model, with a logged warning, never an error for the commenter.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import DatabaseError, IntegrityError, transaction

from byline.antispam.corpus import SHIPPED_MODEL_FILE, seed_corpus
from byline.antispam.model import ModelFormatError, TextModel

if TYPE_CHECKING:
    from byline.antispam.models import Classifier

logger = logging.getLogger("byline.antispam")

# Older versions kept for inspection; the rest are deleted as new ones are saved.
KEEP_VERSIONS = 5
_lock = threading.Lock()
_loaded: tuple[int, str, TextModel] | None = None  # version, stamp, model
_warned: set[int | None] = set()


def train_shipped_model() -> TextModel:
    """The starting model, trained on the seed corpus alone."""
    corpus = seed_corpus()
    return TextModel.train([e.text for e in corpus], [e.is_spam for e in corpus])


@lru_cache(maxsize=1)
def shipped_model_bytes() -> bytes:
    """The starting model's bytes, from the shipped file (or trained if it is unusable)."""
    try:
        data = SHIPPED_MODEL_FILE.read_bytes()
        TextModel.from_bytes(data)
        return data
    except (OSError, ModelFormatError) as error:
        logger.warning("Shipped spam model unusable (%s); training it from the corpus.", error)
        return train_shipped_model().to_bytes()


def shipped_model() -> TextModel:
    """A fresh copy of the starting model (callers may teach it)."""
    return TextModel.from_bytes(shipped_model_bytes())


def forget_loaded() -> None:
    """Drop this process's copy (tests, and after a retrain in the same process)."""
    global _loaded
    with _lock:
        _loaded = None
        _warned.clear()


def _install_shipped() -> None:
    from byline.antispam.models import Classifier

    try:
        with transaction.atomic():
            Classifier.objects.create(
                version=1, kind=Classifier.Kind.SHIPPED, data=shipped_model_bytes()
            )
    except IntegrityError:
        pass  # another server installed it first


def _load(version: int) -> TextModel:
    from byline.antispam.models import Classifier

    data = Classifier.objects.filter(version=version).values_list("data", flat=True).first()
    try:
        if data is None:
            raise ModelFormatError("the row disappeared")
        return TextModel.from_bytes(data)
    except ModelFormatError as error:
        if version not in _warned:
            _warned.add(version)
            logger.warning(
                "Stored spam model v%s is unusable (%s); using the shipped model.", version, error
            )
        return shipped_model()


def why_latest_unusable() -> str | None:
    """Why the newest stored model cannot be read (a change of features, corruption),
    or None if it can, or if none is stored."""
    from byline.antispam.models import Classifier

    data = Classifier.objects.order_by("-version").values_list("data", flat=True).first()
    if data is None:
        return None
    try:
        TextModel.from_bytes(data)
    except ModelFormatError as error:
        return str(error)
    return None


def current() -> tuple[int | None, TextModel]:
    """The latest model and its version (None when the database cannot be read)."""
    global _loaded
    from byline.antispam.models import Classifier

    try:
        latest = Classifier.objects.latest_stamp()
        if latest is None:
            _install_shipped()
            latest = Classifier.objects.latest_stamp()
    except DatabaseError as error:
        if None not in _warned:
            _warned.add(None)
            logger.warning("Spam model table unreadable (%s); using the shipped model.", error)
        return None, shipped_model()
    if latest is None:  # deleted meanwhile: use the shipped model this once
        return None, shipped_model()
    loaded = _loaded
    if loaded is None or loaded[:2] != latest:
        with _lock:
            if _loaded is None or _loaded[:2] != latest:
                _loaded = (*latest, _load(latest[0]))
            loaded = _loaded
    return loaded[0], loaded[2]


def save(model: TextModel, kind: str) -> int:
    """Store ``model`` as the newest version, whatever the latest one is."""
    from byline.antispam.models import Classifier

    data = model.to_bytes()
    for _ in range(10):
        version = (Classifier.objects.latest_version() or 0) + 1
        try:
            with transaction.atomic():
                row = Classifier.objects.create(
                    version=version, kind=kind, examples=model.examples, data=data
                )
        except IntegrityError:
            continue
        _after_save(row, model)
        return version
    raise RuntimeError("could not store the spam model: too many concurrent writers")


def update(change: Callable[[TextModel], object], kind: str) -> int:
    """Apply ``change`` to the latest model and store the result as the next version.

    Optimistic: if another server stored a version meanwhile, the change is applied
    again on top of that one, so no moderator's decision is lost.
    """
    from byline.antispam.models import Classifier

    for _ in range(10):
        base_version, base = current()
        model = copy.deepcopy(base)
        change(model)
        version = (base_version or 0) + 1
        try:
            with transaction.atomic():
                row = Classifier.objects.create(
                    version=version, kind=kind, examples=model.examples, data=model.to_bytes()
                )
        except IntegrityError:
            continue
        _after_save(row, model)
        return version
    raise RuntimeError("could not store the spam model: too many concurrent writers")


def _after_save(row: Classifier, model: TextModel) -> None:
    from byline.antispam.models import Classifier

    global _loaded
    with _lock:
        _loaded = (row.version, row.stamp, model)
    Classifier.objects.filter(version__lte=row.version - KEEP_VERSIONS).delete()
