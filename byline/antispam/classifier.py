"""The learned text model: hashed character and word n-grams, a linear learner.

Hashing keeps the model a fixed size with no vocabulary to store. Logistic regression
trained by stochastic gradient descent (scikit-learn's ``SGDClassifier``) reads the
hashed features; its log-odds are calibrated on predictions it makes for examples it
was not trained on. Moderators' decisions are learned on top, one bounded step at a
time, in weights kept apart. The model is saved as plain arrays (never a pickle), so a
stored copy can be read without running code from the database.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold

from byline.antispam.features import MARKER_WORDS, for_model, is_telling

# Hashing ---------------------------------------------------------------------------
#
# A text's n-grams hashed into a fixed number of buckets, all n-grams of a kind at once.
#
# The model reads two kinds of n-grams, the ones scikit-learn's ``char_wb`` and ``word``
# analyzers cut: every run of 2 to 5 characters inside a word padded with a space on
# each side, and every word and pair of adjacent words (``\b\w+\b``). Each n-gram is
# hashed as a polynomial over its code points, computed with numpy for all n-grams of
# one length in a few array operations; no n-gram string is built. On the corpus's
# longest comments that is about five times faster than scikit-learn's
# ``HashingVectorizer``, whose per-string MurmurHash calls were most of the time it
# took to score a long comment.
#
# The bucket of a hash is the top ``BITS`` bits of its product with an odd constant
# (Fibonacci hashing). All arithmetic is modulo 2**64, so ``reference_char_bucket`` and
# ``reference_word_bucket`` compute the same buckets with Python integers, one n-gram
# at a time.

BITS = 18
BUCKETS = 1 << BITS
CHAR_SIZES = range(2, 6)  # character n-grams of 2 to 5

_MASK = (1 << 64) - 1
_BASE = 0x100000001B3  # the polynomial's base (the 64-bit FNV prime)
_MIX = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: its product's top bits are the bucket
_SIZE_SALT = 0xC2B2AE3D27D4EB4F  # keeps n-grams of different lengths apart
_PAIR_SALT = 0x165667B19E3779F9  # keeps a pair of words apart from the words
_SHIFT = np.uint64(64 - BITS)
_WORD = re.compile(r"(?u)\b\w+\b")
# Powers of the base, for hashing words of any length (longer words reuse the last).
_POWERS = np.array(
    [pow(_BASE, k, 1 << 64) for k in range(4096)],
    dtype=np.uint64,
)


def _code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate is a code point like any other here.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )


def _buckets(hashes: np.ndarray) -> np.ndarray:
    return ((hashes * np.uint64(_MIX)) >> _SHIFT).astype(np.int64)


def char_ngrams(text: str) -> np.ndarray:
    """The bucket of every character n-gram, as ``char_wb`` cuts them (with repeats)."""
    words = text.split()
    if not words:
        return np.zeros(0, dtype=np.int64)
    padded = " " + " ".join(words) + " "
    points = _code_points(padded)
    # spaces[i] = spaces in padded[:i]; an n-gram is inside one padded word when no
    # space is strictly inside it.
    spaces = np.concatenate(([0], np.cumsum(points == 32)))
    found = []
    hashes = points
    for size in range(1, CHAR_SIZES.stop):
        count = points.size - size + 1
        if count <= 0:
            break
        if size > 1:
            hashes = hashes[:count] * np.uint64(_BASE) + points[size - 1 :]
        if size in CHAR_SIZES:
            inside = spaces[size - 1 : size - 1 + count] == spaces[1 : 1 + count]
            found.append(hashes[inside] ^ np.uint64(size * _SIZE_SALT & _MASK))
    # One bucketing for every size: fewer array operations for a short comment.
    return _buckets(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def word_ngrams(text: str) -> tuple[Sequence[str], np.ndarray]:
    """Every word and pair of adjacent words (pairs joined by a space), and their buckets."""
    words = _WORD.findall(text)
    if not words:
        return WordGrams([]), np.zeros(0, dtype=np.int64)
    points = _code_points("".join(words))
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    starts = np.zeros(len(words), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    # A word's hash: the sum of its code points times the base to the power of their
    # distance from the word's end.
    to_end = np.repeat(starts + lengths, lengths) - 1 - np.arange(points.size)
    hashes = np.add.reduceat(points * _POWERS[np.minimum(to_end, _POWERS.size - 1)], starts)
    pairs = hashes[:-1] * np.uint64(_PAIR_SALT) + hashes[1:]
    return WordGrams(words), np.concatenate([_buckets(hashes), _buckets(pairs)])


class WordGrams(Sequence[str]):
    """The words, then each pair of adjacent words joined by a space: built only when
    read (an explanation reads a few; scoring reads none)."""

    def __init__(self, words: list[str]) -> None:
        self._words = words

    def __len__(self) -> int:
        return max(0, 2 * len(self._words) - 1)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        words = self._words
        count = len(words)
        if index < 0:
            index += max(0, 2 * count - 1)
        if 0 <= index < count:
            return words[index]
        first = index - count
        if not 0 <= first < count - 1:
            raise IndexError(index)
        return f"{words[first]} {words[first + 1]}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def _polynomial(text: str) -> int:
    value = 0
    for char in text:
        value = (value * _BASE + ord(char)) & _MASK
    return value


def _bucket_of(value: int) -> int:
    return ((value * _MIX) & _MASK) >> (64 - BITS)


def reference_char_bucket(gram: str) -> int:
    """One character n-gram's bucket, with Python integers: the specification
    ``char_ngrams`` must match."""
    return _bucket_of(_polynomial(gram) ^ (len(gram) * _SIZE_SALT & _MASK))


def reference_word_bucket(*words: str) -> int:
    """The bucket of one word, or of a pair of adjacent words, with Python integers
    (words of up to 4,096 characters; the model never reads longer texts)."""
    if len(words) == 1:
        return _bucket_of(_polynomial(words[0]))
    first, second = words
    return _bucket_of((_polynomial(first) * _PAIR_SALT + _polynomial(second)) & _MASK)


# The model ----------------------------------------------------------------------------

# Bump when the features or the model change: a stored model of another scheme is
# not used (the shipped one is, until ``antispam retrain``).
SCHEME = "char_wb2-5+word1-2/link-hosts+markers/poly-2^18/sgd+ham-prior/v5"
N_FEATURES = BUCKETS
WIDTH = 2 * N_FEATURES  # character n-grams, then word n-grams
ALPHA = 3e-5  # the SGD model's regularisation
SEED_EPOCHS = 20
CALIBRATION_FOLDS = 5
# Learning from moderators. Each decision moves the learned weights (kept apart from the
# trained ones, which are never changed) by the least amount that puts the comment
# itself at LEARN_GOAL log-odds on the moderator's side, and by no more than
# MAX_DECISION_LOGIT of its own score; at scoring, what was learned moves any comment by
# at most MAX_LEARNED_LOGIT. So no burst of decisions, however many, can take a comment
# further than that from what the trained model says.
LEARN_GOAL = 3.0
MAX_DECISION_LOGIT = 2.0
MAX_LEARNED_LOGIT = 3.0
# What a decision teaches goes to what is particular to the comment, not to what every
# genuine comment has. A feature's share of a decision's step is divided by
# 1 + (the share of genuine training comments that have it) / COMMON_SHARE: the n-grams
# of everyday prose (" the", "ing ", "is a") learn next to nothing, the words of a kind
# of spam ("essay", "plagiarism") fully. So a burst of decisions on genuine comments,
# however many, spreads over their topics and barely moves a short text they do not
# share ("Please moderate me"), while the same spam taught a few times moves its kind.
# Only features in at least COMMON_MIN_SHARE of genuine comments are stored.
COMMON_SHARE = 0.0075
COMMON_MIN_SHARE = 0.001
# A lesson is taught through the comment's words and word pairs (and its marker words: a
# link, a phone number ...), not its character n-grams. The character n-grams of a word
# are shared by every word built on it, so a lesson on "subscribe to my channel" taught
# through them also held readers who say they are subscribers (the learning stream held
# 1.9% of the genuine newsroom comments that way, 0.95% taught through words alone, with
# the same YouTube F1). The trained model still reads the character n-grams.


class ModelFormatError(ValueError):
    """Stored bytes are not a model this version of Byline can read."""


@dataclass
class Features:
    """One text's features, computed once for scoring and explaining."""

    indices: np.ndarray  # the hashed features present, characters then words
    values: np.ndarray  # their values (each block unit length)
    words: Sequence[str]  # the word n-grams, for explanations
    word_buckets: np.ndarray  # the bucket of each of ``words``
    word_count: int  # how many of the features are word n-grams (they come last)


def vectorize_one(prepared: str) -> Features:
    """The features of one text already passed through ``features.for_model``: the
    counts of its hashed character n-grams, then of its word n-grams, each block scaled
    to unit length."""
    words, word_buckets = word_ngrams(prepared)
    # Both blocks counted in one pass (word buckets shifted past the character ones).
    indices, counts = np.unique(
        np.concatenate([char_ngrams(prepared), word_buckets + N_FEATURES]),
        return_counts=True,
    )
    values = counts.astype(np.float64)
    first_word = int(np.searchsorted(indices, N_FEATURES))
    for block in (values[:first_word], values[first_word:]):
        if block.size:
            block /= math.sqrt(float(block @ block))
    return Features(indices, values, words, word_buckets, indices.size - first_word)


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


def _calibrate(
    X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, epochs: int, seed: int
) -> np.ndarray:
    """A scale for the linear model's log-odds and an offset, fitted by logistic
    regression on what it says about examples held out from its training."""
    if min(np.bincount(y, minlength=2)) < CALIBRATION_FOLDS:
        return np.array([1.0, 0.0])  # too few examples to hold some out
    held_out = np.zeros(len(y))
    folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(y)), y):
        linear = _train_linear(X[train], y[train], w[train], epochs, seed)
        held_out[test] = linear.decision_function(X[test])
    # (A naive Bayes model was blended in here until December 2026, at weight 0: on
    # short comments far from its training domain it was overconfident ("please",
    # "subscribe"), and the linear model alone held genuine news comments better.)
    fit = LogisticRegression(C=1.0).fit(held_out[:, None], y, sample_weight=w)
    return np.array([fit.coef_[0][0], fit.intercept_[0]], dtype=np.float64)


def _common_features(X: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features in at least COMMON_MIN_SHARE of the genuine examples, and the
    share of genuine examples that have each."""
    genuine = X[y == 0]
    if not genuine.shape[0]:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    share = np.bincount(genuine.indices, minlength=WIDTH) / genuine.shape[0]
    indices = np.flatnonzero(share >= COMMON_MIN_SHARE)
    return indices, share[indices]


@dataclass
class Explanation:
    probability: float  # spam probability from the text alone
    logit: float
    toward_spam: list[str]  # words and phrases that pushed it toward spam, strongest first
    toward_ham: list[str]
    learned: float = 0.0  # the part of ``logit`` that moderators taught


class TextModel:
    """The trained linear model and its calibration, what moderators taught on top,
    and the methods the pipeline needs."""

    def __init__(
        self,
        linear: SGDClassifier,
        calibration: np.ndarray,
        common: tuple[np.ndarray, np.ndarray] | None = None,
        examples: int = 0,
    ) -> None:
        self.linear = linear
        self.calibration = calibration  # the scale of the linear log-odds, the offset
        self.examples = examples
        # Each feature's share of a learning step (see COMMON_SHARE): 1 unless genuine
        # comments commonly have it.
        self.common = common or (np.zeros(0, dtype=np.int64), np.zeros(0))
        self.specificity = np.ones(WIDTH, dtype=np.float64)
        self.specificity[self.common[0]] = 1.0 / (1.0 + self.common[1] / COMMON_SHARE)
        # What moderators taught, on top of the trained linear weights (see LEARN_GOAL).
        self.learned = np.zeros(WIDTH, dtype=np.float64)
        self.decisions = 0

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
        calibration = _calibrate(X, y, w, epochs, seed)
        linear = _train_linear(X, y, w, epochs, seed)
        return cls(linear, calibration, _common_features(X, y), examples=len(y))

    def learning_step(self, text: str, is_spam: bool) -> tuple[np.ndarray, np.ndarray]:
        """The change one moderator decision makes to the learned weights: the indices
        and amounts (empty when the comment already scores on the moderator's side).

        A bounded passive-aggressive step: the least change that puts the comment at
        ``LEARN_GOAL`` log-odds on the moderator's side, capped so the comment's own
        score moves by at most ``MAX_DECISION_LOGIT``, spread over the comment's word
        features in proportion to how particular to it they are (``COMMON_SHARE``). It
        moves texts that share those the same way, less the less they share."""
        features = vectorize_one(for_model(text))
        empty = np.zeros(0, dtype=np.int64), np.zeros(0)
        words = slice(features.indices.size - features.word_count, None)  # they come last
        indices, values = features.indices[words], features.values[words]
        direction = values * self.specificity[indices]
        reach = float(values @ direction)  # the comment's own move per unit step
        scale = float(self.calibration[0])
        if not reach or scale <= 0:
            return empty
        sign = 1.0 if is_spam else -1.0
        logit = self._parts(features)[0]
        missing = LEARN_GOAL - sign * logit
        if missing <= 0:
            return empty
        move = min(missing, MAX_DECISION_LOGIT)
        step = sign * move / (scale * reach)
        return indices.copy(), step * direction

    def apply(self, indices: np.ndarray, deltas: np.ndarray) -> None:
        """Add a learning step (from ``learning_step``, maybe another server's)."""
        np.add.at(self.learned, indices, deltas)
        self.decisions += 1

    def learn(self, text: str, is_spam: bool) -> bool:
        """Learn one decision in place; False if it changed nothing."""
        indices, deltas = self.learning_step(text, is_spam)
        if not indices.size:
            return False
        self.apply(indices, deltas)
        return True

    def learned_bytes(self) -> bytes:
        """The learned weights alone, as sparse arrays (a snapshot)."""
        indices = np.flatnonzero(self.learned).astype(np.int32)
        return pack_delta(indices, self.learned[indices], self.decisions)

    def load_learned(self, data: bytes | memoryview) -> None:
        """Replace the learned weights with a snapshot's (``ModelFormatError`` if
        unreadable)."""
        indices, values, decisions = unpack_delta(data)
        self.learned = np.zeros(WIDTH, dtype=np.float64)
        self.learned[indices] = values
        self.decisions = decisions

    def forget_learned(self) -> None:
        self.learned = np.zeros(WIDTH, dtype=np.float64)
        self.decisions = 0

    # Scoring ----------------------------------------------------------------------

    def _parts(self, features: Features) -> tuple[float, np.ndarray, float]:
        """The calibrated log-odds, each present feature's share of it, and the part
        moderators taught."""
        scale, offset = self.calibration
        indices = features.indices
        shares = scale * features.values * self.linear.coef_[0][indices]
        taught = 0.0
        if self.decisions:
            learned = scale * features.values * self.learned[indices]
            total = float(learned.sum())
            if abs(total) > MAX_LEARNED_LOGIT:
                learned *= MAX_LEARNED_LOGIT / abs(total)
            shares += learned
            taught = float(learned.sum())
        constant = scale * float(self.linear.intercept_[0]) + offset
        return float(shares.sum()) + float(constant), shares, taught

    def logit(self, text: str) -> float:
        """Log-odds that the text is spam, from the text alone."""
        return self._parts(vectorize_one(for_model(text)))[0]

    def explain(self, text: str, top: int = 3) -> Explanation:
        """The score and the words and phrases that weighed most either way."""
        features = vectorize_one(for_model(text))
        logit, shares, taught = self._parts(features)
        first_word = features.indices.size - features.word_count
        # Each word n-gram's share is its bucket's (the buckets are in order).
        buckets = features.indices[first_word:]
        by_gram = shares[first_word:][np.searchsorted(buckets, features.word_buckets + N_FEATURES)]
        order = np.argsort(by_gram, kind="stable")
        toward_spam = _strongest(features.words, order[::-1], by_gram, top, 0.05)
        toward_ham = _strongest(features.words, order, by_gram, top, -0.05)
        return Explanation(_sigmoid(logit), logit, toward_spam, toward_ham, taught)

    # Storage ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as compressed arrays: only non-zero weights are kept."""
        coef = self.linear.coef_[0]
        nonzero = np.flatnonzero(coef).astype(np.int32)
        meta = {"scheme": SCHEME, "examples": self.examples, "t": float(self.linear.t_)}
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            indices=nonzero,
            values=coef[nonzero].astype(np.float32),
            intercept=self.linear.intercept_.astype(np.float64),
            calibration=self.calibration.astype(np.float64),
            common=self.common[0].astype(np.int32),
            common_share=self.common[1].astype(np.float32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> TextModel:
        """Rebuild a model saved by ``to_bytes``; ``ModelFormatError`` if unreadable."""
        names = ("indices", "values", "intercept", "calibration", "common", "common_share")
        try:
            with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
                meta = json.loads(arrays["meta"].tobytes().decode())
                if meta.get("scheme") != SCHEME:
                    raise ModelFormatError(f"stored model has scheme {meta.get('scheme')!r}")
                indices, values, intercept, calibration, common, share = (
                    arrays[name] for name in names
                )
        except ModelFormatError:
            raise
        except Exception as error:  # zip, npz, JSON and missing arrays all mean "corrupt"
            raise ModelFormatError(f"stored model cannot be read: {error}") from error
        if (
            indices.shape != values.shape
            or intercept.shape != (1,)
            or calibration.shape != (2,)
            or common.shape != share.shape
            or not _within(indices)
            or not _within(common)
            or not all(np.all(np.isfinite(a)) for a in (values, intercept, calibration, share))
            or np.any(share < 0)
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
        return cls(
            linear,
            calibration.astype(np.float64),
            (common.astype(np.int64), share.astype(np.float64)),
            examples=int(meta.get("examples", 0)),
        )


def pack_delta(indices: np.ndarray, values: np.ndarray, decisions: int = 1) -> bytes:
    """Sparse learned weights as plain arrays (no pickle, no compression: it is small)."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        scheme=np.frombuffer(SCHEME.encode(), dtype=np.uint8),
        indices=np.asarray(indices, dtype=np.int32),
        values=np.asarray(values, dtype=np.float32),
        decisions=np.array([decisions], dtype=np.int64),
    )
    return buffer.getvalue()


def unpack_delta(data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray, int]:
    """What ``pack_delta`` stored; ``ModelFormatError`` if unreadable."""
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as arrays:
            scheme = arrays["scheme"].tobytes().decode()
            indices = arrays["indices"].astype(np.int64)
            values = arrays["values"].astype(np.float64)
            decisions = int(arrays["decisions"][0])
    except Exception as error:
        raise ModelFormatError(f"stored learned weights cannot be read: {error}") from error
    if scheme != SCHEME:
        raise ModelFormatError(f"learned weights of scheme {scheme!r}")
    if indices.shape != values.shape or not _within(indices) or not np.all(np.isfinite(values)):
        raise ModelFormatError("stored learned weights are inconsistent")
    return indices, values, decisions


def _within(indices: np.ndarray) -> bool:
    return not indices.size or (indices.min() >= 0 and indices.max() < WIDTH)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _strongest(
    words: Sequence[str], order: np.ndarray, shares: np.ndarray, top: int, beyond: float
) -> list[str]:
    """The first ``top`` distinct telling word n-grams, in ``order``, whose share is
    beyond ``beyond`` (above it when positive, below it when negative)."""
    found: list[str] = []
    for position in order.tolist():
        share = float(shares[position])
        if len(found) == top or (share <= beyond if beyond > 0 else share >= beyond):
            break
        token = words[position]
        if is_telling(token):
            shown = _show(token)
            if shown not in found:
                found.append(shown)
    return found


def _show(token: str) -> str:
    words = [MARKER_WORDS.get(word, word) for word in token.split(" ")]
    return " ".join(words)
