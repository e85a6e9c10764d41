"""On a news site, from its first comment: genuine readers are published, the spam a
news site gets is caught, and every reason is one a moderator can act on."""

import re

import pytest

from byline import antispam
from byline.antispam import Verdict
from byline.antispam.classifier import STOPWORDS, find_links, for_model, link_domains
from tests.antispam.factory import make_submission

pytestmark = pytest.mark.django_db

# The probes of issue 15, each with the status it must get on a fresh site.
GENUINE_PROBES = [
    "Please moderate me",
    "The government's guidance is here: https://www.gov.uk/guidance/flooding-what-to-do",
    "Subscribed to the newsletter, great coverage",
]
SPAM_PROBES = [
    "Need a loan? Fast approval, low interest. Call Mr Peters on 0800 555 0199 today.",
    "Send 1 BTC and get 2 BTC back! Official giveaway, limited time.",
]
BAIT = "Asks readers for likes or subscribers"
OWN = "Advertises the commenter's own site"
# Written for these tests (not in the training data): what a newsroom's readers write.
NEWSROOM = [
    "I think the editorial is wrong about the levy, and I am angry that nobody asked us.",
    "\u201cNo decision has been taken\u201d, says the council. We have heard that before.",
    "The WHO page says otherwise: https://www.who.int/news-room/fact-sheets/detail/malaria",
    "The EU regulation is on https://eur-lex.europa.eu/eli/reg/2024/1689/oj, article 5.",
    "Reuters had the full statement (https://www.reuters.com/world/), worth a read.",
    "Thank you for this.",
    "Question for the author: where does the 12% figure come from?",
    "Totalmente en desacuerdo con el alcalde, el transporte p\u00fablico ha empeorado.",
    "Vielen Dank f\u00fcr den Artikel. Wann wird der Gemeinderat dar\u00fcber abstimmen?",
    "Merci pour cet article, mais les chiffres de l'Insee disent autre chose.",
    "Concordo com o texto, a prefeitura precisa responder aos moradores.",
    "\u0634\u0643\u0631\u0627\u064b \u0639\u0644\u0649 \u0647\u0630\u0627 \u0627\u0644\u0645\u0642\u0627\u0644 \u0627\u0644\u0645\u0641\u064a\u062f.",  # noqa: E501
    "\u0927\u0928\u094d\u092f\u0935\u093e\u0926, \u092f\u0939 \u0916\u092c\u0930 \u092c\u0939\u0941\u0924 \u091c\u0930\u0942\u0930\u0940 \u0925\u0940\u0964",  # noqa: E501
    "\u611f\u8c22\u8fd9\u7bc7\u62a5\u9053\uff0c\u5e0c\u671b\u653f\u5e9c\u5c3d\u5feb\u89e3\u51b3\u8fd9\u4e2a\u95ee\u9898\u3002",  # noqa: E501
    "\u0421\u043f\u0430\u0441\u0438\u0431\u043e \u0437\u0430 \u0441\u0442\u0430\u0442\u044c\u044e, \u043e\u0447\u0435\u043d\u044c \u0432\u0430\u0436\u043d\u0430\u044f \u0442\u0435\u043c\u0430.",  # noqa: E501
]
SPAM = {
    "link": "Cheap replica handbags, 90% off today only: http://replica-bags-outlet.xyz/sale",
    "contact": "Earn from home! Message me on WhatsApp +44 7700 900123 for the job details.",
    "telegram": "Recovered my lost funds with an expert, contact him on Telegram @fundsback_pro",
    "crypto": "Invest 0.05 BTC and receive 0.5 BTC in 48 hours, guaranteed returns, DM me.",
    "loan": "Instant loans, no credit check, apply now, approved in minutes, call 0800 555 0111",
    "seo": "Great post! I will bookmark it. Please visit my website http://best-seo-rank.top too",
    "repeated": "CLICK HERE CLICK HERE CLICK HERE CLICK HERE FREE PRIZES CLICK HERE",
    # Spam the model's words alone did not show: a loan with a number to message, in
    # Hindi; earn 500 yuan a day, add my WeChat; a channel plug in Italian; bait.
    "loan_hi": "\u0924\u0941\u0930\u0902\u0924 \u0932\u094b\u0928 \u092a\u093e\u090f\u0902, "
    "\u0905\u092d\u0940 \u0935\u094d\u0939\u093e\u091f\u094d\u0938\u090f\u092a "
    "\u0915\u0930\u0947\u0902 98000 12345",
    "wechat": "\u65e5\u8d5a500\u5143\uff0c\u5728\u5bb6\u5c31\u80fd\u505a\u3002"
    "\u52a0\u5fae\u4fe1 abc12345",
    "channel_it": "Iscrivetevi al mio canale YouTube, parlo di calcio ogni giorno! Grazie!",
    "bait": "Thumbs up if you think the journalist deserves an award",
    "bait_count": "If this comment gets 1000 likes I will donate to the flood victims",
}


@pytest.mark.parametrize("text", GENUINE_PROBES + NEWSROOM)
def test_a_genuine_news_comment_is_published_at_once(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons


@pytest.mark.parametrize("text", SPAM_PROBES)
def test_the_probe_scams_go_to_the_spam_folder(local_filter, text):
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.SPAM, decision.reasons


@pytest.mark.parametrize("family", sorted(SPAM))
def test_each_kind_of_news_site_spam_is_not_published(local_filter, family):
    decision = antispam.check(make_submission(SPAM[family]))
    assert decision.verdict in (Verdict.HOLD, Verdict.SPAM), decision.reasons


def test_a_phone_number_and_an_amount_are_read_not_hidden():
    """Digits are no longer all turned into 0: the shape of a phone number and a sum of
    money reach the model as what they are; a year is still just a year."""
    prepared = for_model("Send $500 by 2024, call +1 (415) 555-0198 or a.b@example.org")
    assert "zzmoney" in prepared
    assert "zzphone" in prepared
    assert "zzemail" in prepared
    assert "0000" in prepared  # the year


def test_the_reasons_say_what_was_found():
    decision = antispam.check(make_submission(SPAM_PROBES[0]))
    text = "\n".join(decision.reasons)
    assert "Gives a phone number (0800 555 0199) and asks readers to get in touch." in text
    assert "Offers a loan or credit." in text
    linked = "\n".join(antispam.check(make_submission(SPAM["link"])).reasons)
    assert "Links to an unknown site: replica-bags-outlet.xyz." in linked
    short = "\n".join(antispam.check(make_submission("Please moderate me")).reasons)
    assert "No link, offer, call to action or invitation to get in touch" in short


def test_reasons_never_quote_stopwords_or_placeholders():
    texts = [*GENUINE_PROBES, *SPAM_PROBES, *NEWSROOM, *SPAM.values()]
    texts += ["It is for a 0000 of the is a for", "Call 555 0000 0000 for the a is"]
    for text in texts:
        for reason in antispam.check(make_submission(text)).reasons:
            for quoted in re.findall(r"\u201c([^\u201d]*)\u201d", reason):
                words = quoted.split()
                assert not all(word in STOPWORDS for word in words), (text, quoted)
                assert not any(re.fullmatch(r"0+", word) for word in words), (text, quoted)


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("visit (www.example.org)", ["example.org"]),
        ("see https://example.org/page.", ["example.org"]),
        ("[link](https://example.org/a), then", ["example.org"]),
        ("\u201chttps://example.org\u201d!", ["example.org"]),
        ("at example.org; or example.net: both", ["example.org", "example.net"]),
        ("https://en.wikipedia.org/wiki/Mercury_(planet) is fine", ["en.wikipedia.org"]),
        ("mail me at someone@example.org", []),
    ],
)
def test_link_domains_leave_the_punctuation_around_a_link(text, domains):
    assert link_domains(text) == domains


def test_a_link_keeps_its_own_closing_bracket():
    assert find_links("https://en.wikipedia.org/wiki/Mercury_(planet).") == [
        "https://en.wikipedia.org/wiki/Mercury_(planet)"
    ]


@pytest.mark.parametrize(
    ("policy", "text", "verdict", "reason"),
    [
        ("publish", NEWSROOM[0], Verdict.APPROVE, "published."),
        ("hold", NEWSROOM[0], Verdict.HOLD, "the site holds every first comment"),
        ("hold-links", NEWSROOM[0], Verdict.APPROVE, "published."),
        ("hold-links", NEWSROOM[2], Verdict.HOLD, "has links, and the site holds those"),
    ],
)
def test_the_first_comment_policy_decides_a_genuine_first_comment(
    local_filter, settings, policy, text, verdict, reason
):
    settings.BYLINE_SPAM_FIRST_COMMENT = policy
    decision = antispam.check(make_submission(text))
    assert decision.verdict == verdict
    assert reason in decision.reasons[-1]
    known = antispam.check(make_submission(text, author_approved_comments=1))
    assert known.verdict == Verdict.APPROVE  # the policy is about first comments only


@pytest.mark.parametrize("policy", ["publish", "hold", "hold-links"])
def test_the_comment_data_page_states_the_first_comment_policy(
    local_filter, settings, client, policy
):
    from byline.antispam.pipeline import FIRST_COMMENT_TEXT

    settings.BYLINE_SPAM_FIRST_COMMENT = policy
    response = client.get("/comments/data/")
    assert response.status_code == 200
    assert FIRST_COMMENT_TEXT[policy] in response.content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "Just subscribed. Stories like this are why.",
        "Please, please fix the paywall on mobile, I'm a subscriber and it keeps logging me "
        "out every single morning.",
        "My rent went from \u00a31,150 to \u00a31,480 in one renewal and nothing can be done.",
        "My uncle lost $40,000 to a crypto investment scam like this. Please warn people.",
    ],
)
def test_a_comment_that_sells_nothing_is_not_made_spam_by_its_words(local_filter, text):
    """No link, contact, offer or call to action: whatever its length, the model alone
    takes it no further than a published score."""
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert any("the words alone cannot make it spam" in r for r in decision.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Suscribe my channel please, I make music",
        "Buy viagra online without prescription, cheap and discreet",
        "Hey guys check out my new song on SoundCloud",
    ],
)
def test_asking_or_selling_keeps_the_words_in_play(local_filter, text):
    """A call to action or something of the commenter's to sell lifts the cap."""
    decision = antispam.check(make_submission(text))
    assert not any("the words alone cannot make it spam" in r for r in decision.reasons)


def test_link_spam_with_anchor_text_and_sales_addresses_is_named(local_filter):
    text = 'Great post! <a href="https://cheap-flights-deals.example">cheap flights paris</a>'
    reasons = "\n".join(antispam.check(make_submission(text)).reasons)
    assert "Links with its own anchor text (\u201ccheap flights paris\u201d)" in reasons
    assert "cheap-flights-deals.example: an address made of sales words" in reasons
    bb = "[url=http://replica-watch.example]replica watches[/url]"
    assert "anchor text" in "\n".join(antispam.check(make_submission(bb)).reasons)


def test_a_reader_citing_a_page_is_published(local_filter):
    """A link to a page inside a site, in a text that asks nothing, counts toward
    publishing; a bare address in a text that asks for clicks does not."""
    text = "Le rapport complet est ici : https://www.statistiques.example/fr/rapport-2025"
    decision = antispam.check(make_submission(text))
    assert any("Cites pages on statistiques.example" in r for r in decision.reasons)
    bait = antispam.check(make_submission("Visit my site https://shop.example/"))
    assert not any("Cites pages" in r for r in bait.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Fonte: https://www.ilpost.it/2026/11/28/bilancio-comune-milano/",
        "Sursa: https://www.hotnews.ro/stiri-esential-28511920-guvernul-buget-2027.htm",
        "Полное видео заседания https://www.youtube.com/watch?v=Mn5Tq2Yv7hc",
        "Audit pdf: https://www.nao.org.uk/wp-content/uploads/2026/11/programme.pdf",
    ],
)
def test_a_short_citation_is_never_filed_as_spam_by_the_model_alone(local_filter, text):
    """A few words and a link to a page, in any language: the text model, trained where
    links mostly meant spam, may doubt it, but only a moderator may file it as spam."""
    decision = antispam.check(make_submission(text))
    assert decision.verdict in (Verdict.APPROVE, Verdict.HOLD), decision.reasons


@pytest.mark.parametrize(
    "text",
    [
        "If anyone affected needs advice, the tenants' union has a free line: 0800 123 4567.",
        "The council's flood desk is on 020 7946 0000 and they were quick for us.",
    ],
)
def test_a_number_given_without_an_invitation_is_not_an_offer(local_filter, text):
    """A helpline a reader passes on is not a contact scam: with no invitation to get in
    touch and nothing to sell, the words alone cannot make it spam."""
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    assert any(
        r.startswith(("Gives a phone number", "Gives the number of a public office"))
        for r in decision.reasons
    )


def test_a_number_with_an_invitation_still_counts(local_filter):
    text = "Need cash fast? Text Mr Dave on 0800 123 4567 for a same-day loan."
    decision = antispam.check(make_submission(text))
    assert decision.verdict != Verdict.APPROVE, decision.reasons
    assert any("asks readers to get in touch" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Like this comment if you are still listening in 2026", BAIT),
        ("Thumbs up if you remember when this town had a cinema", BAIT),
        ("If you agree, give this comment a like so others see it", BAIT),
        ("If I get 500 subscribers I will post the whole interview", BAIT),
        (
            "Informative article, just what I needed. Here is my blog post :: garden sheds",
            OWN,
        ),
        (
            "Nice post, I learn something new every day. My homepage ... emergency plumber leeds",
            OWN,
        ),
        ("Great read! Looking for the best accountant in Leeds? Visit us today.", OWN),
    ],
)
def test_vote_bait_and_seo_praise_without_a_link_are_not_published(local_filter, text, reason):
    """Asking for likes or subscribers; SEO praise naming its keyword with no link."""
    decision = antispam.check(make_submission(text))
    assert decision.verdict != Verdict.APPROVE
    assert any(reason in r for r in decision.reasons)


def test_liking_something_is_not_vote_bait(local_filter):
    readers = (
        "I would like this comment section to be moderated better, honestly.",
        "Like the reader above, I want to know who signed the contract.",
        "Most people I know like this policy, whatever the polls say.",
    )
    for n, text in enumerate(readers):
        decision = antispam.check(make_submission(text, article_id=n + 1))
        assert decision.verdict == Verdict.APPROVE, decision.reasons
        assert not any(BAIT in r for r in decision.reasons)


def test_an_e_mail_address_spelt_out_is_a_contact(local_filter):
    text = (
        "Lost money to a fake broker? Write to fundsback.team at mailbox dot com, they helped me."
    )
    decision = antispam.check(make_submission(text))
    assert decision.verdict != Verdict.APPROVE
    assert any("fundsback.team at mailbox dot com" in r for r in decision.reasons)
    genuine = "We met at the town hall and talked it through, dot by dot, for an hour."
    assert antispam.check(make_submission(genuine)).verdict == Verdict.APPROVE


def test_naming_a_messaging_app_is_not_an_invitation_to_use_it(local_filter):
    """A reader warning about a scam names the app the scammers used; only asking
    readers to reach someone on it keeps the words in play."""
    warning = (
        "Our neighbour was cheated out of her savings by a man who wrote to her on "
        "Telegram for months. Talk to your parents about this."
    )
    decision = antispam.check(make_submission(warning))
    assert decision.verdict == Verdict.APPROVE, decision.reasons
    invite = "Account locked? Contact recoverydesk on Telegram, fast and reliable."
    reasons = antispam.check(make_submission(invite)).reasons
    assert not any("the words alone cannot make it spam" in r for r in reasons)


def test_the_model_reads_a_links_kind_never_its_host():
    """A host name in the training sets says where a comment was collected (every
    YouTube-set spam link goes to youtube.com), not whether it is spam."""
    for text in (
        "Watch it here: https://www.youtube.com/watch?v=abc123",
        "The data: https://github.com/owid/co2-data",
    ):
        prepared = for_model(text)
        assert "zzurl" in prepared
        assert not re.search(r"youtube|github|owid", prepared), prepared
    assert "zzlinkshort" in for_model("see bit.ly/3xTyP9q")
    assert "zzlinkprofile" in for_model("subscribe youtube.com/@DanExplainsNews")
    # A page or a home page is only "a link": in the training sets nearly every such
    # link is spam's, and a reader citing a page is no less genuine for it.
    assert for_model("visit cheap-deals-now.com/page/1").split() == ["visit", "zzurl"]


@pytest.mark.parametrize(
    "text",
    [
        "The council meeting was streamed, the housing item starts at 1:14:00: "
        "https://www.youtube.com/watch?v=Qm3xT8rK2aE",
        "From 12 minutes in he says the opposite, watch the original interview on "
        "YouTube: https://www.youtube.com/watch?v=abc123XYZ",
    ],
)
def test_a_reader_linking_a_video_is_published(local_filter, text):
    """A link's address is not read as words: "youtube.com/watch" asks nothing."""
    decision = antispam.check(make_submission(text))
    assert decision.verdict == Verdict.APPROVE, decision.reasons


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("\u52a0\u5fae\u4fe1 abc12345 \u4e86\u89e3\u8be6\u60c5", "abc12345"),
        ("\u8a73\u3057\u304f\u306fLINE ID: money_jp55 \u307e\u3067", "money_jp55"),
        ("WeChat: lucyhome", "lucyhome"),
    ],
)
def test_a_messaging_id_without_an_at_sign_is_a_contact(text, handle):
    from byline.antispam.classifier import contact_handles

    assert contact_handles(text) == [handle]


@pytest.mark.parametrize(
    "text",
    [
        "She was contacted on Telegram today by someone claiming to be the bank.",
        "It is on line 42 of the report.",
        "Ask on WeChat in 2024 and they will tell you the same.",
    ],
)
def test_an_app_named_in_a_sentence_gives_no_id(text):
    from byline.antispam.classifier import contact_handles

    assert contact_handles(text) == []


def test_a_lesson_is_not_taught_through_a_link_itself():
    """Every link spam and every reader citing a page has a link: a decision teaches
    through the comment's other words, so it does not hold readers who cite pages."""
    from byline.antispam.classifier import N_FEATURES, vectorize_one
    from byline.antispam.store import shipped_model

    model = shipped_model()
    text = "Here is the video: http://example.org/watch from the meeting"
    features = vectorize_one(for_model(text))
    indices, _ = model.learning_step(text, True)
    taught = {int(i) for i in indices}
    link = {
        N_FEATURES + int(b)
        for w, b in zip(features.words, features.word_buckets, strict=True)
        if "zzurl" in w
    }
    assert link and not taught & link
    assert taught  # the other words are taught
