"""The learned text model: hashed character and word n-grams, two linear learners.

Hashing keeps the model a fixed size with no vocabulary to store. Two models read the
same hashed features and both learn incrementally, one moderator decision at a time:
logistic regression trained by stochastic gradient descent (scikit-learn's
``SGDClassifier``) and multinomial naive Bayes (``MultinomialNB``). They make
different mistakes, so their log-odds are blended, with weights (and an offset) fitted
on predictions each makes for examples it was not trained on, which also calibrates
the score. The model is saved as plain arrays (never a pickle), so a stored copy can
be read without running code from the database.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

from byline.antispam import hashing
from byline.antispam.features import MARKER_WORDS, for_model

# Bump when the features or the model change: a stored model of another scheme is
# not used (the shipped one is, until ``antispam retrain``).
SCHEME = "char_wb2-5+word1-2/link-hosts/poly-2^18/sgd+nb/v3"
N_FEATURES = hashing.BUCKETS
WIDTH = 2 * N_FEATURES  # character n-grams, then word n-grams
ALPHA = 3e-5  # the SGD model's regularisation
NB_ALPHA = 0.3  # naive Bayes' additive smoothing
SEED_EPOCHS = 20
BLEND_FOLDS = 5
# Learning one decision puts the comment itself at least this far on the moderator's
# side (as a probability).
LEARN_TARGET = {True: 0.99, False: 0.01}
# What one moderator decision counts for in naive Bayes, in corpus examples.
LEARN_WEIGHT = 1.0


class ModelFormatError(ValueError):
    """Stored bytes are not a model this version of Byline can read."""


def _counted(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct buckets and their counts scaled to unit length."""
    indices, counts = np.unique(buckets, return_counts=True)
    values = counts.astype(np.float64)
    if values.size:
        values /= math.sqrt(float(values @ values))
    return indices.astype(np.int64), values


@dataclass
class Features:
    """One text's features, computed once for scoring and explaining."""

    indices: np.ndarray  # the hashed features present, characters then words
    values: np.ndarray  # their values (each block unit length)
    words: list[str]  # the word n-grams, for explanations
    word_buckets: np.ndarray  # the bucket of each of ``words``
    word_count: int  # how many of the features are word n-grams (they come last)


def vectorize_one(prepared: str) -> Features:
    """The features of one text already passed through ``features.for_model``: the
    counts of its hashed character n-grams, then of its word n-grams, each block scaled
    to unit length."""
    char_indices, char_values = _counted(hashing.char_ngrams(prepared))
    words, word_buckets = hashing.word_ngrams(prepared)
    word_indices, word_values = _counted(word_buckets)
    return Features(
        np.concatenate([char_indices, word_indices + N_FEATURES]),
        np.concatenate([char_values, word_values]),
        words,
        word_buckets,
        word_indices.size,
    )


def vectorize(prepared: Sequence[str]) -> sp.csr_matrix:
    """``vectorize_one`` for many texts, as the rows of a sparse matrix."""
    rows = [vectorize_one(text) for text in prepared]
    pointers = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([row.indices.size for row in rows], out=pointers[1:])
    return sp.csr_matrix(
        (
            np.concatenate([np.zeros(0), *(row.values for row in rows)]),
            np.concatenate([np.zeros(0, dtype=np.int64), *(row.indices for row in rows)]),
            pointers,
        ),
        shape=(len(rows), WIDTH),
    )


def _new_linear() -> SGDClassifier:
    return SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=0)


def _train_linear(
    X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, epochs: int, seed: int
) -> SGDClassifier:
    classifier = _new_linear()
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(y))
        classifier.partial_fit(X[order], y[order], classes=[0, 1], sample_weight=w[order])
    return classifier


def _train_bayes(X: sp.csr_matrix, y: np.ndarray, w: np.ndarray) -> MultinomialNB:
    bayes = MultinomialNB(alpha=NB_ALPHA)
    bayes.partial_fit(X, y, classes=[0, 1], sample_weight=w)
    return bayes


def _bayes_logit(bayes: MultinomialNB, X: sp.csr_matrix) -> np.ndarray:
    log_odds = bayes.feature_log_prob_[1] - bayes.feature_log_prob_[0]
    prior = bayes.class_log_prior_[1] - bayes.class_log_prior_[0]
    return np.asarray(X @ log_odds + prior, dtype=np.float64)


def _fit_blend(
    X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, epochs: int, seed: int
) -> np.ndarray:
    """Weights for the two models' log-odds and an offset, fitted by logistic regression
    on what each model says about examples held out from its training (stacking)."""
    if min(np.bincount(y, minlength=2)) < BLEND_FOLDS:
        return np.array([1.0, 0.0, 0.0])  # too few examples to hold some out
    held_out = np.zeros((len(y), 2))
    folds = StratifiedKFold(BLEND_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(y)), y):
        linear = _train_linear(X[train], y[train], w[train], epochs, seed)
        bayes = _train_bayes(X[train], y[train], w[train])
        held_out[test, 0] = linear.decision_function(X[test])
        held_out[test, 1] = _bayes_logit(bayes, X[test])
    stack = LogisticRegression(C=1.0).fit(held_out, y, sample_weight=w)
    return np.array([*stack.coef_[0], stack.intercept_[0]], dtype=np.float64)


@dataclass
class Explanation:
    probability: float  # spam probability from the text alone
    logit: float
    toward_spam: list[str]  # words and phrases that pushed it toward spam, strongest first
    toward_ham: list[str]


class TextModel:
    """The two trained models and their blend, with the methods the pipeline needs."""

    def __init__(
        self,
        linear: SGDClassifier,
        bayes: MultinomialNB,
        blend: np.ndarray,
        examples: int = 0,
    ) -> None:
        self.linear = linear
        self.bayes = bayes
        self.blend = blend  # weight of the linear log-odds, of naive Bayes', offset
        self.examples = examples
        self._bayes_odds: np.ndarray | None = None  # per-feature log-odds, cached

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
        blend = _fit_blend(X, y, w, epochs, seed)
        linear = _train_linear(X, y, w, epochs, seed)
        return cls(linear, _train_bayes(X, y, w), blend, examples=len(y))

    def learn(self, text: str, is_spam: bool) -> int:
        """Learn one labelled comment at once; returns the number of updates (1 or 2).

        Both models take the comment as one more training example. If the comment itself
        is still not scored on the moderator's side (``LEARN_TARGET``), the linear
        weights of its features then move by the least amount that puts it there (a
        passive-aggressive update), so one decision is enough to change the verdict on
        the same text, and it moves similar texts the same way.
        """
        features = vectorize_one(for_model(text))
        X = sp.csr_matrix(
            (features.values, features.indices, [0, features.indices.size]), shape=(1, WIDTH)
        )
        y = np.array([int(is_spam)])
        self.bayes.partial_fit(X, y, classes=[0, 1], sample_weight=[LEARN_WEIGHT])
        self._bayes_odds = None
        self.linear.partial_fit(X, y, classes=[0, 1])
        self.examples += 1
        target = LEARN_TARGET[is_spam]
        goal = math.log(target / (1.0 - target))
        logit = self._contributions(features)[0]
        squared_norm = float(features.values @ features.values)
        if (logit >= goal) if is_spam else (logit <= goal):
            return 1
        if not squared_norm or self.blend[0] <= 0:
            return 1
        step = (goal - logit) / (self.blend[0] * squared_norm)
        self.linear.coef_[0][features.indices] += step * features.values
        return 2

    # Scoring ----------------------------------------------------------------------

    def _odds(self) -> np.ndarray:
        if self._bayes_odds is None:
            log_prob = self.bayes.feature_log_prob_
            self._bayes_odds = log_prob[1] - log_prob[0]
        return self._bayes_odds

    def _contributions(self, features: Features) -> tuple[float, np.ndarray]:
        """The blended log-odds and each present feature's share of it."""
        w_linear, w_bayes, offset = self.blend
        prior = self.bayes.class_log_prior_
        constant = (
            w_linear * float(self.linear.intercept_[0]) + w_bayes * (prior[1] - prior[0]) + offset
        )
        indices = features.indices
        shares = w_linear * features.values * self.linear.coef_[0][indices]
        shares += w_bayes * features.values * self._odds()[indices]
        return float(shares.sum()) + float(constant), shares

    def logit(self, text: str) -> float:
        """Log-odds that the text is spam, from the text alone."""
        return self._contributions(vectorize_one(for_model(text)))[0]

    def explain(self, text: str, top: int = 3) -> Explanation:
        """The score and the words and phrases that weighed most either way."""
        features = vectorize_one(for_model(text))
        logit, shares = self._contributions(features)
        first_word = features.indices.size - features.word_count
        by_index = dict(
            zip(features.indices[first_word:].tolist(), shares[first_word:].tolist(), strict=True)
        )
        by_word = {
            word: by_index[bucket + N_FEATURES]
            for word, bucket in zip(features.words, features.word_buckets.tolist(), strict=True)
        }
        ranked = sorted(by_word.items(), key=lambda item: item[1])
        toward_spam = [_show(t) for t, c in reversed(ranked) if c > 0.05][:top]
        toward_ham = [_show(t) for t, c in ranked if c < -0.05][:top]
        return Explanation(_sigmoid(logit), logit, toward_spam, toward_ham)

    # Storage ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as compressed arrays: only non-zero weights and counts are kept."""
        coef = self.linear.coef_[0]
        nonzero = np.flatnonzero(coef).astype(np.int32)
        counts = self.bayes.feature_count_
        counted = np.flatnonzero(counts.any(axis=0)).astype(np.int32)
        meta = {"scheme": SCHEME, "examples": self.examples, "t": float(self.linear.t_)}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            indices=nonzero,
            values=coef[nonzero].astype(np.float32),
            intercept=self.linear.intercept_.astype(np.float64),
            counted=counted,
            counts=counts[:, counted].astype(np.float32),
            class_count=self.bayes.class_count_.astype(np.float64),
            blend=self.blend.astype(np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> TextModel:
        """Rebuild a model saved by ``to_bytes``; ``ModelFormatError`` if unreadable."""
        try:
            with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
                meta = json.loads(arrays["meta"].tobytes().decode())
                if meta.get("scheme") != SCHEME:
                    raise ModelFormatError(f"stored model has scheme {meta.get('scheme')!r}")
                indices, values, intercept, counted, counts, class_count, blend = (
                    arrays[name]
                    for name in (
                        "indices",
                        "values",
                        "intercept",
                        "counted",
                        "counts",
                        "class_count",
                        "blend",
                    )
                )
        except ModelFormatError:
            raise
        except Exception as error:  # zip, npz, JSON and missing arrays all mean "corrupt"
            raise ModelFormatError(f"stored model cannot be read: {error}") from error
        if (
            indices.shape != values.shape
            or intercept.shape != (1,)
            or counts.shape != (2, counted.size)
            or class_count.shape != (2,)
            or blend.shape != (3,)
            or not _within(indices)
            or not _within(counted)
            or not all(np.all(np.isfinite(a)) for a in (values, intercept, counts, blend))
            or np.any(counts < 0)
            or not np.all(class_count > 0)
        ):
            raise ModelFormatError("stored model arrays are inconsistent")
        coef = np.zeros((1, WIDTH), dtype=np.float64)
        coef[0, indices] = values
        linear = _new_linear()
        # The attributes partial_fit() keeps between calls (scikit-learn 1.9).
        linear.classes_ = np.array([0, 1])
        linear.coef_ = coef
        linear.intercept_ = intercept.astype(np.float64)
        linear.t_ = float(meta.get("t", 1.0))
        linear.n_features_in_ = WIDTH
        bayes = MultinomialNB(alpha=NB_ALPHA)
        bayes.classes_ = np.array([0, 1])
        bayes.n_features_in_ = WIDTH
        bayes.feature_count_ = np.zeros((2, WIDTH), dtype=np.float64)
        bayes.feature_count_[:, counted] = counts
        bayes.class_count_ = class_count.astype(np.float64)
        bayes._update_feature_log_prob(NB_ALPHA)
        bayes._update_class_log_prior()
        return cls(linear, bayes, blend.astype(np.float64), examples=int(meta.get("examples", 0)))


def _within(indices: np.ndarray) -> bool:
    return not indices.size or (indices.min() >= 0 and indices.max() < WIDTH)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _show(token: str) -> str:
    words = [MARKER_WORDS.get(word, word) for word in token.split(" ")]
    return " ".join(words)
