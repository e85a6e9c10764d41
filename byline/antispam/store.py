"""Where the current text model lives: in the database, shared by every app server.

A model *version* (``Classifier``) is trained once (the shipped model, or ``antispam
retrain``) and never changed. What moderators teach is stored beside it as one small
row per decision (``LearnedUpdate``: the change to the learned weights), summed every
``SNAPSHOT_EVERY`` decisions into a ``LearnedSnapshot``. Each app server keeps the model
it loaded with the last decision it added; a check asks the database, in one indexed
query, for the latest version and its latest decision when the model may have changed
(``generation``: a Redis key every change rewrites after its commit; at every check
without Redis), and adds only the decisions it has not seen. So a decision taught on
one server is used by all on their next check, survives restarts, and costs one small
INSERT, not a copy of the model.

An administrator can roll back to an earlier snapshot in one step (``rollback``). A
model that is missing, corrupt or of another feature scheme is replaced by the shipped
starting model, with a logged warning, never an error for the commenter.
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from django.db import DatabaseError, IntegrityError, connections, transaction

from byline.antispam import generation
from byline.antispam.classifier import WIDTH, ModelFormatError, TextModel
from byline.antispam.corpus import SHIPPED_MODEL_FILE, seed_corpus

if TYPE_CHECKING:
    from byline.antispam.models import Classifier

logger = logging.getLogger("byline.antispam")

# Older versions kept for inspection; the rest are deleted as new ones are saved.
KEEP_VERSIONS = 5
# A snapshot of the learned weights every this many decisions; this many kept.
SNAPSHOT_EVERY = 50
KEEP_SNAPSHOTS = 10
_lock = threading.Lock()
# This process's model: version, stamp, the last learned decision added, the model.
# ``pipeline.current_model()`` reads it on every check without calling in here.
loaded: tuple[int, str, int, TextModel] | None = None
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
    global loaded
    with _lock:
        loaded = None
        _warned.clear()
        generation.forget()


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


def _latest() -> tuple[int, str, int] | None:
    """The newest version, its stamp and its last learned decision (0: none), in one
    indexed query."""
    from byline.antispam.models import LATEST_MODEL_SQL, Classifier

    with connections[Classifier.objects.db].cursor() as cursor:
        cursor.execute(LATEST_MODEL_SQL)
        row = cursor.fetchone()
    return (row[0], row[1], row[2] or 0) if row else None


def _decode_update(
    indices: bytes | memoryview, deltas: bytes | memoryview
) -> tuple[np.ndarray, np.ndarray]:
    where = np.frombuffer(bytes(indices), dtype="<i4").astype(np.int64)
    amounts = np.frombuffer(bytes(deltas), dtype="<f4").astype(np.float64)
    if where.shape != amounts.shape or (where.size and (where.min() < 0 or where.max() >= WIDTH)):
        raise ModelFormatError("a learned decision is inconsistent")
    return where, amounts


def _add_updates(model: TextModel, version: int, after: int) -> int:
    """Add the decisions learned on ``version`` after decision ``after``; returns the
    last one added (``after`` if none)."""
    from byline.antispam.models import LearnedUpdate

    rows = LearnedUpdate.objects.filter(base_version=version, id__gt=after).order_by("id")
    last = after
    for pk, indices, deltas in rows.values_list("id", "indices", "deltas").iterator():
        try:
            model.apply(*_decode_update(indices, deltas))
        except ModelFormatError as error:
            logger.warning("Skipped learned decision %s: %s", pk, error)
        last = pk
    return last


def _full_load(version: int) -> tuple[TextModel, int]:
    """The version with what moderators taught it: the latest snapshot, then the
    decisions after it."""
    from byline.antispam.models import LearnedSnapshot

    model = _load(version)
    after = 0
    snapshot = (
        LearnedSnapshot.objects.filter(base_version=version)
        .order_by("-id")
        .values_list("id", "last_update_id", "data")
        .first()
    )
    if snapshot is not None:
        try:
            model.load_learned(snapshot[2])
            after = snapshot[1]
        except ModelFormatError as error:
            logger.warning("Learning snapshot %s is unusable (%s); ignored.", snapshot[0], error)
    return model, _add_updates(model, version, after)


def current() -> tuple[int | None, TextModel]:
    """The latest model with all it has learned, and its version (None when the
    database cannot be read)."""
    global loaded

    try:
        latest = _latest()
        if latest is None:
            _install_shipped()
            latest = _latest()
        if latest is None:  # deleted meanwhile: use the shipped model this once
            return None, shipped_model()
        version, stamp, last_update = latest
        with _lock:
            mine = loaded
            if mine is None or mine[:2] != (version, stamp) or mine[2] > last_update:
                model, added = _full_load(version)
                loaded = mine = (version, stamp, added, model)
            elif mine[2] < last_update:
                # Copy on write: a check running meanwhile keeps a whole model.
                model = copy.copy(mine[3])
                model.learned = mine[3].learned.copy()
                added = _add_updates(model, version, mine[2])
                loaded = mine = (version, stamp, added, model)
    except DatabaseError as error:
        if None not in _warned:
            _warned.add(None)
            logger.warning("Spam model table unreadable (%s); using the shipped model.", error)
        return None, shipped_model()
    return mine[0], mine[3]


def _lock_latest_version() -> int | None:
    """The newest version, its row locked until the transaction ends: learners and
    rollbacks queue on it."""
    from byline.antispam.models import Classifier

    return (
        Classifier.objects.select_for_update()
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )


def learn(text: str, is_spam: bool) -> int:
    """Teach one moderator decision: one small row, every server picks it up on its
    next check. Returns the decision's id, or 0 if the model already agreed.

    Learners queue on the model version's row, so each step is computed on every
    decision stored before it and stored in that order."""
    from byline.antispam.models import LearnedUpdate

    with transaction.atomic():
        version = _lock_latest_version()
        if version is None:
            _install_shipped()
        version, model = current()
        if version is None:
            raise DatabaseError("no stored spam model to teach")
        indices, deltas = model.learning_step(text, is_spam)
        if not indices.size:
            return 0
        row = LearnedUpdate.objects.create(
            base_version=version,
            label="spam" if is_spam else "ham",
            indices=indices.astype("<i4").tobytes(),
            deltas=deltas.astype("<f4").tobytes(),
        )
    _snapshot_if_due(version)
    return row.pk


def _snapshot_if_due(version: int) -> None:
    from byline.antispam.models import LearnedSnapshot, LearnedUpdate

    since = (
        LearnedSnapshot.objects.filter(base_version=version)
        .order_by("-id")
        .values_list("last_update_id", flat=True)
        .first()
    ) or 0
    if LearnedUpdate.objects.filter(base_version=version, id__gt=since).count() < SNAPSHOT_EVERY:
        return
    snapshot(version)


def snapshot(version: int | None = None) -> int | None:
    """Store what the model has learned so far as a snapshot (a point to roll back to)
    and drop what no snapshot needs any more. Returns the snapshot's id."""
    from byline.antispam.models import LearnedSnapshot, LearnedUpdate

    latest_version, model = current()
    mine = loaded
    if latest_version is None or mine is None or (version and version != latest_version):
        return None
    row = LearnedSnapshot.objects.create(
        base_version=latest_version,
        last_update_id=mine[2],
        decisions=model.decisions,
        data=model.learned_bytes(),
    )
    kept = list(
        LearnedSnapshot.objects.filter(base_version=latest_version)
        .order_by("-id")
        .values_list("id", "last_update_id")[:KEEP_SNAPSHOTS]
    )
    oldest_id, oldest_last = kept[-1]
    LearnedSnapshot.objects.filter(base_version=latest_version, id__lt=oldest_id).delete()
    # The oldest snapshot's own last decision stays: the latest decision id never goes back.
    LearnedUpdate.objects.filter(base_version=latest_version, id__lt=oldest_last).delete()
    return row.pk


@dataclass(frozen=True)
class Rollback:
    version: int
    snapshot_id: int | None  # None: back to the trained model, nothing learned
    decisions: int  # decisions the model now includes
    undone: int  # learned decisions removed


def rollback(snapshot_id: int | None = None) -> Rollback:
    """Go back one step: undo every decision learned since the latest snapshot, or, if
    there is none since, go back to the snapshot before it (or to the trained model).
    With ``snapshot_id``, go back to that snapshot. Every server reloads on its next
    check."""
    from byline.antispam.models import Classifier, LearnedSnapshot, LearnedUpdate, new_stamp

    with transaction.atomic():
        version = _lock_latest_version()
        if version is None:
            raise LookupError("no stored spam model")
        snapshots = LearnedSnapshot.objects.filter(base_version=version).order_by("-id")
        updates = LearnedUpdate.objects.filter(base_version=version)
        if snapshot_id is not None:
            target = snapshots.filter(pk=snapshot_id).first()
            if target is None:
                raise LookupError(f"no snapshot {snapshot_id} of model v{version}")
        else:
            newest = snapshots.first()
            if newest is not None and updates.filter(id__gt=newest.last_update_id).exists():
                target = newest
            else:
                target = snapshots[1:2].first() if newest is not None else None
        after = target.last_update_id if target else 0
        undone, _ = updates.filter(id__gt=after).delete()
        if target is None:
            snapshots.delete()
        else:
            snapshots.filter(id__gt=target.pk).delete()
        Classifier.objects.filter(version=version).update(stamp=new_stamp())
        generation.changed()
    forget_loaded()
    return Rollback(
        version, target.pk if target else None, target.decisions if target else 0, undone
    )


def save(model: TextModel, kind: str) -> int:
    """Store ``model`` as the newest version, whatever the latest one is, with what it
    has learned as its first snapshot."""
    from byline.antispam.models import Classifier, LearnedSnapshot

    data = model.to_bytes()
    for _ in range(10):
        version = (Classifier.objects.latest_version() or 0) + 1
        try:
            with transaction.atomic():
                row = Classifier.objects.create(
                    version=version, kind=kind, examples=model.examples, data=data
                )
                if model.decisions:
                    LearnedSnapshot.objects.create(
                        base_version=version, decisions=model.decisions, data=model.learned_bytes()
                    )
        except IntegrityError:
            continue
        _after_save(row)
        return version
    raise RuntimeError("could not store the spam model: too many concurrent writers")


def _after_save(row: Classifier) -> None:
    from byline.antispam.models import Classifier, LearnedSnapshot, LearnedUpdate

    forget_loaded()
    old = row.version - KEEP_VERSIONS
    Classifier.objects.filter(version__lte=old).delete()
    LearnedSnapshot.objects.filter(base_version__lte=old).delete()
    LearnedUpdate.objects.filter(base_version__lte=old).delete()
