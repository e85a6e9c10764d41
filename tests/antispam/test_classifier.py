"""The text model: the same features however they are computed, stored without pickle."""

from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier

from byline.antispam import classifier
from byline.antispam.classifier import (
    MAX_DECISION_LOGIT,
    N_FEATURES,
    ModelFormatError,
    TextModel,
    domain_of,
    find_links,
    for_model,
    link_domains,
    vectorize,
    vectorize_one,
)
from byline.antispam.corpus import seed_corpus
from byline.antispam.store import shipped_model, train_shipped_model

SAMPLES = [
    "Check out my channel http://bit.ly/abc!!!",
    "The council voted on Tuesday; the 2nd paragraph is wrong.",
    "",
    "Ünïcödé ☃ and 中文 text",
]
LONG = " ".join(["Residents queued at the town hall, 2 hours, to say no!"] * 40)


@pytest.mark.parametrize("text", [*SAMPLES, LONG, "a", " \t\n ", "\ud800 lone surrogate"])
def test_the_features_are_scikit_learns_n_grams_each_hashed_as_specified(text):
    """Character n-grams as ``char_wb`` cuts them (2-5), words and pairs of words as
    the ``word`` analyzer does (1-2), each hashed by the one-at-a-time reference."""
    prepared = for_model(text)
    chars = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), lowercase=False
    ).build_analyzer()
    words = HashingVectorizer(
        analyzer="word", ngram_range=(1, 2), lowercase=False, token_pattern=r"(?u)\b\w+\b"
    ).build_analyzer()
    expected_chars = Counter(classifier.reference_char_bucket(gram) for gram in chars(prepared))
    expected_words = Counter(
        classifier.reference_word_bucket(*gram.split(" ")) for gram in words(prepared)
    )
    assert Counter(classifier.char_ngrams(prepared).tolist()) == expected_chars
    grams, buckets = classifier.word_ngrams(prepared)
    assert list(grams) == words(prepared)
    assert Counter(buckets.tolist()) == expected_words


@pytest.mark.parametrize("text", [*SAMPLES, LONG])
def test_one_text_and_many_texts_get_the_same_features(text):
    prepared = for_model(text)
    row = vectorize([prepared, "other text"])[0]
    features = vectorize_one(prepared)
    assert dict(zip(features.indices.tolist(), features.values.tolist(), strict=True)) == (
        pytest.approx(dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)))
    )
    assert features.indices.max(initial=0) < 2 * N_FEATURES
    assert features.word_count == len(set(features.word_buckets.tolist()))


def test_a_stored_model_scores_and_learns_like_the_original():
    model = shipped_model()
    copy = TextModel.from_bytes(model.to_bytes())
    for text in SAMPLES:
        assert copy.logit(text) == pytest.approx(model.logit(text), abs=1e-4)
    model.learn("cheap watches here", True)
    copy.learn("cheap watches here", True)
    assert copy.logit("cheap watches") == pytest.approx(model.logit("cheap watches"), abs=1e-3)


def test_bytes_that_are_not_a_model_are_refused():
    for data in (b"", b"garbage", b"PK\x03\x04broken zip"):
        with pytest.raises(ModelFormatError):
            TextModel.from_bytes(data)


def test_the_shipped_model_is_what_build_seed_makes_from_the_shipped_corpus():
    """The artefact in the package is up to date with the corpus and the features."""
    fresh = train_shipped_model()
    shipped = shipped_model()
    assert shipped.examples == fresh.examples == len(seed_corpus())
    for text in SAMPLES:
        assert shipped.logit(text) == pytest.approx(fresh.logit(text), abs=1e-3)


def test_explanations_name_words_not_hashes():
    explanation = shipped_model().explain("Please subscribe to my channel http://example.com")
    assert explanation.probability > 0.9
    assert "a link" in explanation.toward_spam or "subscribe" in explanation.toward_spam
    assert all(isinstance(word, str) and word for word in explanation.toward_spam)


def test_learning_one_decision_moves_the_comment_toward_the_moderators_side():
    """A bounded step: toward the moderator's side by at most MAX_DECISION_LOGIT, and
    nothing when the model already agrees with the moderator."""
    model = shipped_model()
    text = "Check out the council's own report, and subscribe to the minutes."
    before = model.logit(text)
    assert model.learn(text, False)
    assert before - MAX_DECISION_LOGIT - 1e-6 <= model.logit(text) < before
    assert not model.learn("Send 1 BTC and get 2 BTC back, whatsapp +1 202 555 0143", True)


def test_learned_weights_are_stored_apart_and_read_back():
    model = shipped_model()
    model.learn("cheap watches here", True)
    copy = shipped_model()
    copy.load_learned(model.learned_bytes())
    assert copy.decisions == 1
    assert copy.logit("cheap watches") == pytest.approx(model.logit("cheap watches"), abs=1e-4)
    with pytest.raises(ModelFormatError):
        copy.load_learned(b"not a snapshot")


def test_links_are_found_even_when_spaced_out_or_bare():
    assert find_links("see kidsmediausa . com now") == ["kidsmediausa.com"]
    assert link_domains("watch www.youtube. com/watch?v=x") == ["youtube.com"]
    assert link_domains("go to https://WWW.Example.com/x and bit.ly/3 and www.foo.org") == [
        "example.com",
        "bit.ly",
        "foo.org",
    ]
    assert domain_of("http://[broken") == ""
    assert link_domains("no links here, version 2.0 is fine") == []


@pytest.mark.parametrize(
    "text",
    [
        "Ik ben het niet eens met de schrijver. De cijfers van het CBS laten iets anders zien.",
        "C'est faux. Il faut lire le rapport.",
        "Read it. In full, please.",
    ],
)
def test_a_sentence_ending_before_a_word_that_is_a_country_code_is_not_a_link(text):
    """Only a generic top-level domain (com, net, org ...) in lower case joins a host
    spaced out around its dot: "schrijver. De" ends a sentence."""
    assert link_domains(text) == []


def test_the_model_reads_clean_text():
    assert for_model("Hi&amp;bye<br />\ufeff 123") == "hi&bye  000"
    assert "zzurl" in for_model("see https://example.com")
    assert np.isfinite(shipped_model().logit("\x00" * 10))


LONG_GENUINE = [
    "I read the council's budget report after this article came out, and I think the reporter "
    "got the main point right: the library hours are being cut because the maintenance backlog "
    "was never funded. What the piece leaves out is that the same committee voted last spring "
    "to defer the roof repairs, which is why the costs doubled. My neighbours and I went to the "
    "public meeting on Tuesday and asked about it; the answer was that the state grant fell "
    "through. I would like to see a follow-up that compares our town with the two next to us.",
    "I have lived here for forty years and I have never seen the river this high. The article "
    "is right that the new housing on the flood plain made it worse, but it does not mention "
    "that the drainage channels behind the school have not been cleared since the contractor "
    "went bust. Several of us wrote to the council about it in the autumn and got no answer. "
    "The residents' association meets on the first Monday of every month at the community "
    "centre, and everyone is welcome, including people who rent.",
]


@pytest.mark.parametrize("text", LONG_GENUINE)
def test_a_long_thoughtful_comment_is_not_taken_for_spam_for_its_length(text):
    """In the YouTube corpus long comments are mostly spam; a news site's are not. The
    starting model may be unsure of them (a moderator reads them), never sure they are spam."""
    assert shipped_model().explain(text).probability < 0.6


def test_scoring_by_summing_weights_is_exactly_scikit_learns_linear_model():
    """``logit()`` sums the present features' weights directly (no sparse matrix, no
    ``predict_proba`` for one comment) and gives what scikit-learn's model says, on the
    whole shipped corpus (every fifth comment)."""
    model = shipped_model()
    texts = [example.text for example in seed_corpus()[::5]]
    w_linear, offset = model.calibration
    # The stored model is plain arrays (``LinearWeights``); scikit-learn's own model
    # with the same weights is the reference.
    reference = SGDClassifier()
    reference.classes_ = np.array([0, 1])
    reference.coef_, reference.intercept_ = model.linear.coef_, model.linear.intercept_
    reference.n_features_in_ = model.linear.coef_.shape[1]
    expected = w_linear * reference.decision_function(vectorize([for_model(t) for t in texts]))
    expected += offset
    ours = np.array([model.logit(text) for text in texts])
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("newsroom_heldout.jsonl", 250),
        ("newsroom_unseen.jsonl", 100),
        ("newsroom_unseen2.jsonl", 140),
        ("newsroom_unseen3.jsonl", 90),
        ("newsroom_unseen4.jsonl", 190),
        ("newsroom_unseen5.jsonl", 175),
        ("newsroom_unseen6.jsonl", 230),
    ],
)
def test_the_held_out_newsroom_sets_are_never_trained_on(name, size):
    """The held-out sets are for evaluation only (bench/spam.py (d))."""
    import json

    from byline.antispam.corpus import DATA_DIR

    heldout = {line for line in (DATA_DIR / name).read_text().splitlines() if line}
    assert len(heldout) > size
    texts = {json.loads(line)["text"].strip().casefold() for line in heldout}
    assert not texts & {example.text.strip().casefold() for example in seed_corpus()}
