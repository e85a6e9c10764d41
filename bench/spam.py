"""Spam-filter benchmark on every developers' set, beside a rule-only and a
character-model baseline, and beside the previous scorer for time.

    .venv/bin/python bench/spam.py            # about three minutes on two cores
    .venv/bin/python bench/spam.py --long     # more latency samples
    .venv/bin/python bench/spam.py --sets     # only the frozen sets (d), about a minute

The sets (``byline/antispam/data``): the YouTube comments (four videos), the 3,000
genuine news comments (no spam) and the hand-written newsroom comments (genuine ones in
many languages, and seven kinds of spam). Every figure is measured on comments the
scoring model was not trained on: four folds, fold k = YouTube video k + a quarter of
the news comments + a quarter of the newsroom comments; each model is trained on the
other three folds (its blend and calibration too).

(a) fresh site: the shipped thresholds applied to the held-out comments. "Not
    published" is held or spam (score >= BYLINE_SPAM_APPROVE_BELOW); "spam" is the spam
    folder (score >= BYLINE_SPAM_SPAM_AT). Targets: YouTube spam F1 >= 0.95
    (leave-one-video-out), genuine news and newsroom comments not published <= 1%.
(b) learning stream: the held-out comments of each fold in order, a moderator teaching
    each one's true label right after it is scored (the baselines do not learn).
(c) time to score one comment (the whole ``check()`` and the text alone), beside the
    previous scorer (the text model of git ``main``), in one run; and time to learn one
    moderator decision (the whole ``learn()``) beside what the previous version did
    for each decision (copy the model and serialise it whole). Each is timed in CPU time
    of this thread (``time.thread_time``) and in wall-clock time: on a machine loaded by
    others the CPU time is the honest figure. Targets (CPU): scoring p99 <= 2 ms,
    learning p99 <= 20 ms.
(d) the frozen held-out newsroom sets (``newsroom_heldout.jsonl``, ``newsroom_unseen.jsonl``,
    ``newsroom_unseen2.jsonl``, ``newsroom_unseen3.jsonl``, ``newsroom_unseen4.jsonl``,
    ``newsroom_unseen5.jsonl``, ``newsroom_unseen6.jsonl``), never trained on nor tuned on,
    scored by the shipped model; then the shapes earlier sessions misjudged
    (``tests/antispam/data/disguised_shapes.jsonl``: fake news sites' story links,
    petitions and fundraisers, a messaging app without an id, sites spelt out in words),
    never trained on but tuned on.
(e) a malicious burst (60 genuine news comments marked spam) against the news site's
    probes, and a deliberate lesson (4 essay-mill adverts marked spam) against a fifth.

Last, every target with what was measured and whether it is met.

Baselines: "rules" is Byline's text rules alone (features read from the text, no
model: not published when a rule points to spam, spam at +2 log-odds or more); "chars"
is TF-IDF character 2-5-grams + logistic regression (C=10), the developers' set's
strongest published baseline, its threshold 0.5 for spam and 0.2 for "not published".
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FOLDS = 4
# (what, measured, target, met): printed together at the end.
SUMMARY: list[tuple[str, str, str, bool]] = []


def target(what: str, measured: str, goal: str, met: bool) -> None:
    SUMMARY.append((what, measured, goal, met))


PROBES = [
    ("Please moderate me", "approve"),
    ("The government's guidance: https://www.gov.uk/guidance/flooding-what-to-do", "approve"),
    ("Subscribed to the newsletter, great coverage", "approve"),
    ("Need a loan? Fast approval, low interest. Call Mr Peters on 0800 555 0199.", "spam"),
    ("Send 1 BTC and get 2 BTC back! Official giveaway, limited time.", "spam"),
]


def _django(data_dir: str) -> None:
    os.environ["BYLINE_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _thresholds() -> tuple[float, float]:
    from django.conf import settings

    return settings.BYLINE_SPAM_APPROVE_BELOW, settings.BYLINE_SPAM_SPAM_AT


class Tally:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, flagged: bool, spam: bool) -> None:
        if flagged and spam:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif spam:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def line(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        return f"P {p:.3f} R {self.recall:.3f} F1 {self.f1:.3f} genuine {self.fpr:6.2%}"


# The scorers ----------------------------------------------------------------------


class Byline:
    name = "Byline"

    def __init__(self, examples) -> None:
        from byline.antispam.classifier import TextModel

        self.model = TextModel.train([e.text for e in examples], [e.is_spam for e in examples])

    def score(self, text: str) -> float:
        from byline.antispam.pipeline import read_text

        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, read_text(self.model, text).logit))))

    def learn(self, text: str, spam: bool) -> None:
        self.model.learn(text, spam)


class Rules:
    """Byline's text rules alone: held when one points to spam, spam at +2 or more."""

    name = "rules"

    def __init__(self, examples=()) -> None:
        pass

    def score(self, text: str) -> float:
        from byline.antispam import pipeline
        from byline.antispam.classifier import link_domains

        domains = link_domains(text)
        found = [
            *pipeline.links(domains),
            *pipeline.cheap_domains(domains),
            *pipeline.sales_domains(domains),
            *pipeline.home_pages(text),
            *pipeline.anchors(text),
            *pipeline.content(text, domains),
        ]
        weight = sum(item.weight for item in found)
        return 0.0 if weight <= 0 else (0.95 if weight >= 2 else 0.6)

    def learn(self, text: str, spam: bool) -> None:
        pass


class Chars:
    """TF-IDF character 2-5-grams (char_wb) + logistic regression, C=10."""

    name = "chars"

    def __init__(self, examples) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        X = self.vectorizer.fit_transform([_strip(e.text) for e in examples])
        y = np.array([e.is_spam for e in examples], dtype=int)
        self.model = LogisticRegression(C=10, max_iter=2000).fit(X, y)

    def score(self, text: str) -> float:
        return float(self.model.predict_proba(self.vectorizer.transform([_strip(text)]))[0, 1])

    def learn(self, text: str, spam: bool) -> None:
        pass


CHARS_THRESHOLDS = (0.2, 0.5)


def _strip(text: str) -> str:
    return text.replace("\ufeff", "")


# The folds ------------------------------------------------------------------------


def folds():
    """(fold, training examples, held-out YouTube, held-out news, held-out newsroom)."""
    from byline.antispam.corpus import news_ham_corpus, newsroom_corpus, youtube_corpus

    youtube, news, newsroom = youtube_corpus(), news_ham_corpus(), newsroom_corpus()
    videos = sorted({e.source for e in youtube})
    rng = np.random.default_rng(0)
    newsroom_fold = rng.integers(0, FOLDS, len(newsroom))
    for k, video in enumerate(videos):
        held = (
            [e for e in youtube if e.source == video],
            [e for i, e in enumerate(news) if i % FOLDS == k],
            [e for i, e in enumerate(newsroom) if newsroom_fold[i] == k],
        )
        train = (
            [e for e in youtube if e.source != video]
            + [e for i, e in enumerate(news) if i % FOLDS != k]
            + [e for i, e in enumerate(newsroom) if newsroom_fold[i] != k]
        )
        yield k, video, train, held


class Results:
    """Scores of held-out comments by set, for one scorer."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[float, bool, str]]] = defaultdict(list)

    def add(self, part: str, score: float, spam: bool, family: str = "") -> None:
        self.rows[part].append((score, spam, family))

    def tally(self, part: str, threshold: float) -> Tally:
        tally = Tally()
        for score, spam, _ in self.rows[part]:
            tally.add(score >= threshold, spam)
        return tally

    def families(self, threshold: float) -> dict[str, float]:
        found: dict[str, list[bool]] = defaultdict(list)
        for score, spam, family in self.rows["newsroom"]:
            if spam:
                found[family].append(score >= threshold)
        return {family: sum(v) / len(v) for family, v in sorted(found.items())}

    def languages(self, threshold: float) -> tuple[int, int]:
        """Genuine newsroom comments not in English: (not published, total)."""
        rows = [
            (s, f) for s, spam, f in self.rows["newsroom"] if not spam and len(f) == 2
        ]  # a language code is the family of a comment in another language
        return sum(s >= threshold for s, _ in rows), len(rows)


def evaluate() -> tuple[dict[str, Results], dict[str, Results]]:
    """Fresh and learning-stream results, each model trained once per fold."""
    import copy

    fresh = {"Byline": Results(), "rules": Results(), "chars": Results()}
    stream = {"Byline": Results(), "rules": Results(), "chars": Results()}
    for _, _, train, (youtube, news, newsroom) in folds():
        scorers = [Byline(train), Rules(), Chars(train)]
        # The stream: the video's comments in their order, then the news and newsroom
        # comments interleaved in a fixed shuffled order.
        rest = [("news", e) for e in news] + [("newsroom", e) for e in newsroom]
        order = np.random.default_rng(1).permutation(len(rest))
        sequence = [("youtube", e) for e in youtube] + [rest[i] for i in order]
        for scorer in scorers:
            scores = [scorer.score(e.text) for _, e in sequence]
            for (part, example), score in zip(sequence, scores, strict=True):
                fresh[scorer.name].add(part, score, example.is_spam, example.family)
                if scorer.name != "Byline":  # the baselines do not learn
                    stream[scorer.name].add(part, score, example.is_spam, example.family)
        learner = scorers[0]
        learner.model = copy.copy(learner.model)
        learner.model.forget_learned()
        for part, example in sequence:
            score = learner.score(example.text)
            stream["Byline"].add(part, score, example.is_spam, example.family)
            learner.learn(example.text, example.is_spam)
    return fresh, stream


def report(title: str, results: dict[str, Results]) -> None:
    approve_below, spam_at = _thresholds()
    print(title)
    limits = {
        "Byline": (approve_below, spam_at),
        "rules": (0.5, 0.9),
        "chars": CHARS_THRESHOLDS,
    }
    for name, result in results.items():
        held, spam = limits[name]
        youtube_spam = result.tally("youtube", spam)
        youtube_held = result.tally("youtube", held)
        news_held, news_spam = result.tally("news", held), result.tally("news", spam)
        room_held, room_spam = result.tally("newsroom", held), result.tally("newsroom", spam)
        foreign, foreign_total = result.languages(held)
        print(f"  {name:<7} YouTube, leave-one-video-out: spam {youtube_spam.line()}")
        print(f"  {'':<7}   not published (held or spam): {youtube_held.line()}")
        print(
            f"  {'':<7} genuine news comments ({news_held.fp + news_held.tn}): not published "
            f"{news_held.fpr:.2%}, spam {news_spam.fpr:.2%}"
        )
        print(
            f"  {'':<7} newsroom genuine ({room_held.fp + room_held.tn}): not published "
            f"{room_held.fpr:.2%} (other languages {foreign}/{foreign_total}), spam "
            f"{room_spam.fpr:.2%}; newsroom spam not published {room_held.recall:.1%}, "
            f"spam {room_spam.recall:.1%}"
        )
        families = result.families(held)
        print(
            f"  {'':<7} not published by kind: "
            + ", ".join(f"{family} {share:.0%}" for family, share in families.items())
        )
    print(
        "  targets  YouTube spam F1 >= 0.95; genuine news and newsroom not published <= 1%; "
        "high recall on every kind"
    )
    byline = results["Byline"]
    when = "learning stream" if "learning" in title else "fresh site"
    f1 = byline.tally("youtube", approve_below).f1
    target(f"YouTube leave-one-video-out spam F1, {when}", f"{f1:.3f}", ">= 0.95", f1 >= 0.95)
    news = byline.tally("news", approve_below).fpr
    target(f"genuine news comments not published, {when}", f"{news:.2%}", "<= 1%", news <= 0.01)
    room = byline.tally("newsroom", approve_below).fpr
    target(f"newsroom genuine not published, {when}", f"{room:.2%}", "<= 1%", room <= 0.01)
    if "learning" not in title:
        seo = byline.families(approve_below).get("seo", 0.0)
        target("newsroom SEO spam not published, fresh site", f"{seo:.0%}", "high", seo >= 0.9)


HELDOUT_SETS = (
    ("newsroom_heldout.jsonl", "held-out"),  # written before the first tuning
    ("newsroom_unseen.jsonl", "unseen"),  # written before the third session's changes
    ("newsroom_unseen2.jsonl", "unseen 2"),  # written before the fifth session's changes
    ("newsroom_unseen3.jsonl", "unseen 3"),  # written before the sixth session's changes
    ("newsroom_unseen4.jsonl", "unseen 4"),  # written before the seventh session's changes
    ("newsroom_unseen5.jsonl", "unseen 5"),  # written before the eighth session's changes
    ("newsroom_unseen6.jsonl", "unseen 6"),  # written before the ninth session's changes
)


# The shapes earlier sessions left misjudged (fake news sites' story links, petitions and
# fundraisers, a messaging app without an id, sites spelt out in words): written for the
# tenth session's changes and tuned on, so a regression check, not a measure of recall.
SHAPES_SET = (ROOT / "tests" / "antispam" / "data" / "disguised_shapes.jsonl", "shapes")


def heldout(name: str | Path, short: str) -> None:
    """A frozen held-out newsroom set: written before the tuning it measures and never
    trained on; scored by the shipped model, and by the baselines trained on every
    developers' set. (``SHAPES_SET`` is reported the same way, but was tuned on.)"""
    import json

    from byline.antispam.corpus import DATA_DIR, seed_corpus
    from byline.antispam.store import shipped_model

    path = name if isinstance(name, Path) else DATA_DIR / name
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    byline = Byline.__new__(Byline)
    byline.model = shipped_model()
    approve_below, spam_at = _thresholds()
    scorers = [
        (byline, approve_below, spam_at),
        (Rules(), 0.5, 0.9),
        (Chars(seed_corpus()), *CHARS_THRESHOLDS),
    ]
    ham = [r for r in rows if r["label"] == "ham"]
    spam = [r for r in rows if r["label"] == "spam"]
    print(
        f"(d) {short} newsroom set {path.name}, never trained on"
        f"{' (tuned on)' if (path, short) == SHAPES_SET else ''} ({len(ham)} genuine in "
        f"{len({r['lang'] for r in ham})} languages, {len(spam)} spam of "
        f"{len({r['family'] for r in spam})} kinds)"
    )
    for scorer, held, spam_from in scorers:
        ham_scores = [scorer.score(r["text"]) for r in ham]
        if scorer is byline:
            share = sum(s >= held for s in ham_scores) / len(ham)
            shown = f"{share:.1%} ({sum(s >= held for s in ham_scores)}/{len(ham)})"
            target(f"{short} genuine not published", shown, "<= 1%", share <= 0.01)
            seo = [scorer.score(r["text"]) >= held for r in spam if r["family"] == "seo"]
            recall = sum(seo) / max(1, len(seo))
            if seo:
                target(f"{short} SEO spam not published", f"{recall:.0%}", "high", recall >= 0.9)
            caught = sum(scorer.score(r["text"]) >= held for r in spam) / len(spam)
            target(f"{short} spam not published", f"{caught:.0%}", "high", caught >= 0.9)
        spam_scores = [scorer.score(r["text"]) for r in spam]
        other = [s for s, r in zip(ham_scores, ham, strict=True) if r["lang"] != "en"]
        kinds: dict[str, list[bool]] = defaultdict(list)
        for score, row in zip(spam_scores, spam, strict=True):
            kind = "other languages" if row["lang"] != "en" else row["family"]
            kinds[kind].append(score >= held)
        print(
            f"  {scorer.name:<7} genuine not published {sum(s >= held for s in ham_scores)}"
            f"/{len(ham)} ({sum(s >= held for s in ham_scores) / len(ham):.1%}; other "
            f"languages {sum(s >= held for s in other)}/{len(other)}), spam "
            f"{sum(s >= spam_from for s in ham_scores)}; spam not published "
            f"{sum(s >= held for s in spam_scores) / len(spam):.1%}, spam folder "
            f"{sum(s >= spam_from for s in spam_scores) / len(spam):.1%}"
        )
        print(
            f"  {'':<7} not published by kind: "
            + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(kinds.items()))
        )
    print("  targets  genuine not published <= 1%; high recall on every kind")


def probes() -> None:
    from byline.antispam.store import shipped_model

    byline = Byline.__new__(Byline)
    byline.model = shipped_model()
    approve_below, spam_at = _thresholds()
    print("    the issue's probes, shipped model:")
    for text, expected in PROBES:
        score = byline.score(text)
        verdict = "spam" if score >= spam_at else "held" if score >= approve_below else "approve"
        print(f"      {verdict:<8} (expected {expected:<7}) {score:.3f}  {text[:60]}")


# Time -----------------------------------------------------------------------------


def _git_show(ref: str, name: str) -> bytes:
    """A file of byline/antispam at git ``ref`` (the classifier was model.py before)."""
    names = [name, "model.py"] if name == "classifier.py" else [name]
    for candidate in names:
        shown = subprocess.run(  # noqa: S603
            ["git", "-C", str(ROOT), "show", f"{ref}:byline/antispam/{candidate}"],  # noqa: S607
            capture_output=True,
        )
        if shown.returncode == 0:
            return shown.stdout
    raise subprocess.CalledProcessError(1, "git show")


def _previous_scorer(ref: str = "main"):
    """The text model of git ``ref`` (features, hashing, model and its shipped file),
    loaded as a separate package; None when git or the ref is not there."""
    files = ("features.py", "hashing.py", "classifier.py", "data/seed_model.npz")
    target = Path(tempfile.mkdtemp()) / "previous_antispam"
    (target / "data").mkdir(parents=True)
    try:
        for name in files:
            try:
                data = _git_show(ref, name)
            except subprocess.CalledProcessError:
                if name in ("hashing.py", "features.py"):  # merged into classifier.py since
                    continue
                raise
            if name.endswith(".py"):
                data = data.replace(b"byline.antispam", b"previous_antispam")
            (target / name).write_bytes(data)
    except (OSError, subprocess.CalledProcessError):
        return None
    (target / "__init__.py").write_text("")
    sys.path.insert(0, str(target.parent))
    module = importlib.import_module("previous_antispam.classifier")
    return module.TextModel.from_bytes((target / "data" / "seed_model.npz").read_bytes())


def _p99(samples: list[float]) -> float:
    ms = sorted(s * 1000 for s in samples)
    return ms[min(len(ms) - 1, int(round(0.99 * len(ms))) - 1)]


def _figures(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"median {statistics.median(ms):6.3f} ms  p99 {_p99(samples):6.3f} ms  ({len(ms)} calls)"


class Timer:
    """Wall-clock and CPU time (this thread's) of each call: under a loaded machine the
    CPU time is the honest figure, the wall time includes waiting for a core."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Timer:
        self._cpu = time.thread_time()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self._wall)
        self.cpu.append(time.thread_time() - self._cpu)

    def lines(self, label: str) -> str:
        pad = " " * len(label)
        return f"{label} CPU  {_figures(self.cpu)}\n{pad} wall {_figures(self.wall)}"


def latency(long: bool) -> None:
    import copy

    from byline import antispam
    from byline.antispam import store
    from byline.antispam.contract import Label, Submission
    from byline.antispam.corpus import seed_corpus
    from byline.antispam.pipeline import read_text

    corpus = seed_corpus()
    comments = [e.text for e in corpus][:: 1 if long else 3]
    antispam.check(Submission(body="warm-up", author_name="x"))
    _, model = store.current()
    previous = _previous_scorer()
    ours_check, ours_text, theirs_text = Timer(), Timer(), Timer()
    for n, text in enumerate(comments):
        submission = Submission(
            body=text,
            author_name="Reader",
            author_email=f"reader{n}@example.org",
            article_id=n % 50,
            seconds_to_submit=30.0,
        )
        with ours_check:
            antispam.check(submission)
        with ours_text:
            read_text(model, text)
        if previous is not None:  # interleaved: the same machine load for both
            with theirs_text:
                previous.explain(text)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"(c) time, one comment per call (load average {load}, {os.cpu_count()} cores)")
    print(ours_check.lines("    scoring: Byline check() (SQLite, records the check)"))
    print(ours_text.lines("             Byline text alone (model + text rules)      "))
    if theirs_text.cpu:
        print(theirs_text.lines("             previous scorer (main), text model alone   "))
    else:
        print("             previous scorer: not measured (no git checkout with main)")
    print("             target                                        p99 <= 2 ms")
    p99 = _p99(ours_check.cpu)
    target("check() CPU time per comment, p99", f"{p99:.2f} ms", "<= 2 ms", p99 <= 2.0)
    decisions = [e for e in corpus if "YouTube" in e.source][: 400 if long else 200]
    learning = Timer()
    for n, example in enumerate(decisions):
        submission = Submission(
            body=example.text, author_name="Reader", author_email=f"m{n}@example.org"
        )
        label = Label.SPAM if example.is_spam else Label.HAM
        with learning:
            antispam.learn(submission, label)
    copying = Timer()
    for _ in range(10 if long else 5):
        with copying:
            copy.deepcopy(model).to_bytes()
    print(learning.lines("    learning: Byline learn() (SQLite, whole decision)   "))
    print(copying.lines("              previous way: copy + serialise the model   "))
    print("              target                                      p99 <= 20 ms")
    p99 = _p99(learning.cpu)
    target("learn() CPU time per decision, p99", f"{p99:.2f} ms", "<= 20 ms", p99 <= 20.0)


def burst() -> None:
    """(e) A malicious burst against a deliberate lesson, on the shipped model: sixty
    genuine news comments marked spam must leave the news site's probes published,
    while four decisions on one kind of spam (essay mills) hold a fifth of its kind."""
    import copy

    from byline.antispam.corpus import news_ham_corpus
    from byline.antispam.store import shipped_model

    approve_below, _ = _thresholds()
    news = [e.text for e in news_ham_corpus()]
    probes = [text for text, expected in PROBES if expected == "approve"]
    probes.append("Thank you for covering this. Nobody else did.")
    scorer = Byline.__new__(Byline)
    scorer.model = shipped_model()
    fresh = copy.deepcopy(scorer.model)
    for text in news[2000:2060]:
        scorer.learn(text, True)
    print("(e) a malicious burst: 60 genuine news comments marked spam (shipped model)")
    worst = 0.0
    for text in probes:
        before = 1.0 / (1.0 + math.exp(-fresh.logit(text)))
        after = scorer.score(text)
        worst = max(worst, after)
        print(f"      {before:.3f} -> {after:.3f}  {text[:60]}")
    unseen = news[2100:2300]
    flipped = sum(scorer.score(t) >= approve_below for t in unseen)
    print(f"    200 unseen genuine news comments not published after it: {flipped}")
    target("probes after a malicious burst, highest score", f"{worst:.3f}", "< 0.5", worst < 0.5)
    essays = [
        "We write custom essays and dissertations for students, plagiarism free.",
        "Essay writing service: any subject, any deadline, order your essay today.",
        "Struggling with your dissertation? Our expert writers deliver essays on time.",
        "Cheap custom essay writing, 100% original, get your paper in 3 hours.",
    ]
    new = "Custom essays by expert writers, plagiarism free and delivered before your deadline."
    scorer.model = copy.deepcopy(fresh)
    before = scorer.score(new)
    for text in essays:
        scorer.learn(text, True)
    after = scorer.score(new)
    shown = f"{before:.3f} -> {after:.3f}"
    print(f"    a deliberate lesson: 4 essay-mill adverts marked spam; a fifth {shown}")
    target(
        "a lesson taught 4 times, a new comment of its kind", f"{after:.3f}", ">= 0.5", after >= 0.5
    )


def summary() -> None:
    print("Targets")
    for what, measured, goal, met in SUMMARY:
        print(f"  {what:<55} {measured:>12}  target {goal:<8} {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--long", action="store_true", help="more latency samples")
    parser.add_argument(
        "--sets", action="store_true", help="only the frozen sets (d) and the shapes set"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _django(data_dir)
        approve_below, spam_at = _thresholds()
        print(
            f"Thresholds: not published from {approve_below:g}, spam from {spam_at:g} "
            "(BYLINE_SPAM_APPROVE_BELOW, BYLINE_SPAM_SPAM_AT)"
        )
        if args.sets:
            for name, short in (*HELDOUT_SETS, SHAPES_SET):
                heldout(name, short)
            summary()
            return
        fresh, stream = evaluate()
        report("(a) fresh site, four folds", fresh)
        probes()
        for name, short in (*HELDOUT_SETS, SHAPES_SET):
            heldout(name, short)
        report("(b) learning stream (Byline learns every label in order; baselines fixed)", stream)
        latency(args.long)
        burst()
        summary()


if __name__ == "__main__":
    main()
