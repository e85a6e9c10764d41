"""The learned text model: hashed character and word n-grams, a linear classifier.

Hashing keeps the model a fixed size with no vocabulary to store, and the linear
model (scikit-learn's ``SGDClassifier`` with logistic loss) learns incrementally,
one moderator decision at a time. The model is saved as plain arrays (never a
pickle), so a stored copy can be read without running code from the database.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.utils import murmurhash3_32

from byline.antispam.features import MARKER_WORDS, for_model

# Bump when the features change: a stored model of another scheme is not used.
SCHEME = "char2-5+word1-2/2^18/v1"
N_FEATURES = 2**18
ALPHA = 3e-5
SEED_EPOCHS = 20
# Learning one decision repeats the update until the comment itself sits this far on
# the moderator's side (as a probability), at most MAX_STEPS times.
LEARN_TARGET = {True: 0.97, False: 0.03}
MAX_STEPS = 20

_CHARS = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 5),
    n_features=N_FEATURES,
    alternate_sign=False,
    lowercase=False,
)
_WORDS = HashingVectorizer(
    analyzer="word",
    ngram_range=(1, 2),
    n_features=N_FEATURES,
    alternate_sign=False,
    lowercase=False,
    token_pattern=r"(?u)\b\w+\b",  # noqa: S106  (a regular expression, not a password)
)
_char_analyzer = _CHARS.build_analyzer()
_word_analyzer = _WORDS.build_analyzer()


class ModelFormatError(ValueError):
    """Stored bytes are not a model this version of Byline can read."""


def vectorize(prepared: Sequence[str]) -> sp.csr_matrix:
    """Feature rows for texts already passed through ``features.for_model``."""
    return sp.hstack([_CHARS.transform(prepared), _WORDS.transform(prepared)], format="csr")


def _hashed(tokens: Sequence[str], offset: int) -> tuple[np.ndarray, np.ndarray]:
    counts = Counter(abs(murmurhash3_32(token, seed=0)) % N_FEATURES for token in tokens)
    indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)) + offset
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    if values.size:
        values /= math.sqrt(float(values @ values))
    return indices, values


def vectorize_one(prepared: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The same features as ``vectorize`` for one text, without scikit-learn's per-call
    overhead (a few hundred microseconds): feature indices, values and the word n-grams.
    """
    words = _word_analyzer(prepared)
    char_indices, char_values = _hashed(_char_analyzer(prepared), 0)
    word_indices, word_values = _hashed(words, N_FEATURES)
    return (
        np.concatenate([char_indices, word_indices]),
        np.concatenate([char_values, word_values]),
        words,
    )


def _new_classifier() -> SGDClassifier:
    return SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=0)


@dataclass
class Explanation:
    probability: float  # spam probability from the text alone
    logit: float
    toward_spam: list[str]  # words and phrases that pushed it toward spam, strongest first
    toward_ham: list[str]


class TextModel:
    """A trained classifier with the methods the pipeline needs."""

    def __init__(self, classifier: SGDClassifier, examples: int = 0) -> None:
        self.classifier = classifier
        self.examples = examples

    # Training ---------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        is_spam: Sequence[bool],
        weights: Sequence[float] | None = None,
        epochs: int = SEED_EPOCHS,
        seed: int = 0,
    ) -> TextModel:
        """A new model trained on raw texts (deterministic for a given seed)."""
        X = vectorize([for_model(text) for text in texts])
        y = np.asarray(is_spam, dtype=np.int64)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        classifier = _new_classifier()
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = rng.permutation(len(y))
            classifier.partial_fit(X[order], y[order], classes=[0, 1], sample_weight=w[order])
        return cls(classifier, examples=len(y))

    def learn(self, text: str, is_spam: bool) -> int:
        """Learn one labelled comment at once; returns the number of update steps.

        The update is repeated until the comment itself is scored on the moderator's
        side, so one decision is enough to change the verdict on the same text and
        moves similar texts the same way.
        """
        X = vectorize([for_model(text)])
        y = np.array([int(is_spam)])
        target = LEARN_TARGET[is_spam]
        steps = 0
        for steps in range(1, MAX_STEPS + 1):  # noqa: B007
            self.classifier.partial_fit(X, y, classes=[0, 1])
            probability = self._probability(X)
            if (probability >= target) if is_spam else (probability <= target):
                break
        self.examples += 1
        return steps

    # Scoring ----------------------------------------------------------------------

    def _logit(self, X: sp.csr_matrix) -> float:
        coef = self.classifier.coef_[0]
        return float(X.data @ coef[X.indices]) + float(self.classifier.intercept_[0])

    def _probability(self, X: sp.csr_matrix) -> float:
        return _sigmoid(self._logit(X))

    def logit(self, text: str) -> float:
        """Log-odds that the text is spam, from the text alone."""
        indices, values, _ = vectorize_one(for_model(text))
        return float(values @ self.classifier.coef_[0][indices]) + float(
            self.classifier.intercept_[0]
        )

    def explain(self, text: str, top: int = 3) -> Explanation:
        """The score and the words and phrases that weighed most either way."""
        indices, values, words = vectorize_one(for_model(text))
        coef = self.classifier.coef_[0]
        contributions = values * coef[indices]
        logit = float(contributions.sum()) + float(self.classifier.intercept_[0])
        by_index = dict(zip(indices.tolist(), contributions.tolist(), strict=True))
        ranked = sorted(
            {
                token: by_index[abs(murmurhash3_32(token, seed=0)) % N_FEATURES + N_FEATURES]
                for token in words
            }.items(),
            key=lambda item: item[1],
        )
        toward_spam = [_show(t) for t, c in reversed(ranked) if c > 0.05][:top]
        toward_ham = [_show(t) for t, c in ranked if c < -0.05][:top]
        return Explanation(_sigmoid(logit), logit, toward_spam, toward_ham)

    # Storage ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as compressed arrays: only the non-zero weights are kept."""
        coef = self.classifier.coef_[0]
        nonzero = np.flatnonzero(coef).astype(np.int32)
        meta = {"scheme": SCHEME, "examples": self.examples, "t": float(self.classifier.t_)}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            indices=nonzero,
            values=coef[nonzero].astype(np.float32),
            intercept=self.classifier.intercept_.astype(np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        """Rebuild a model saved by ``to_bytes``; ``ModelFormatError`` if unreadable."""
        try:
            with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
                meta = json.loads(arrays["meta"].tobytes().decode())
                indices = arrays["indices"]
                values = arrays["values"]
                intercept = arrays["intercept"]
        except Exception as error:  # zip, npz and JSON errors all mean "corrupt"
            raise ModelFormatError(f"stored model cannot be read: {error}") from error
        if meta.get("scheme") != SCHEME:
            raise ModelFormatError(f"stored model has scheme {meta.get('scheme')!r}")
        width = 2 * N_FEATURES
        if (
            indices.shape != values.shape
            or intercept.shape != (1,)
            or (indices.size and (indices.min() < 0 or indices.max() >= width))
            or not np.all(np.isfinite(values))
        ):
            raise ModelFormatError("stored model arrays are inconsistent")
        coef = np.zeros((1, width), dtype=np.float64)
        coef[0, indices] = values
        classifier = _new_classifier()
        # The attributes partial_fit() keeps between calls (scikit-learn 1.9).
        classifier.classes_ = np.array([0, 1])
        classifier.coef_ = coef
        classifier.intercept_ = intercept.astype(np.float64)
        classifier.t_ = float(meta.get("t", 1.0))
        classifier.n_features_in_ = width
        return cls(classifier, examples=int(meta.get("examples", 0)))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _show(token: str) -> str:
    words = [MARKER_WORDS.get(word, word) for word in token.split(" ")]
    return " ".join(words)
