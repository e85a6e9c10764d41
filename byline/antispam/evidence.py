"""The signals besides the text model, each a weight (in log-odds) and a reason.

A positive weight pushes toward spam, a negative one toward publishing. Every signal
that moved the score says so in words a moderator can check.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from byline.antispam.contract import Submission
from byline.antispam.features import (
    SHORTENERS,
    bounded,
    clean,
    contact_handles,
    domain_of,
    find_links,
    has_money,
    has_wallet,
    is_repetitive,
    is_source,
    phone_numbers,
)

# The weights, in log-odds added to the text model's. Kept here, in one place.
MANY_LINKS = 3  # this many links or more is a sign
W_MANY_LINKS = 1.5
W_SHORTENER = 2.0
W_SPAM_DOMAIN = 3.0
W_TOO_FAST = 2.5
W_SPAM_HISTORY = 2.0
W_APPROVED_HISTORY = -1.5
W_DUPLICATE = 2.0
DUPLICATE_MIN_CHARS = 40  # shorter texts ("Thank you!") repeat innocently
DUPLICATE_DAYS = 30
# What the text itself carries. Each is a pattern a spammer needs to be paid (a way to
# be reached, money, a site to rank), so they hold across sites and languages; none
# fires on a sum, a phone number or a link alone, which genuine comments have too.
W_CONTACT = 2.0  # a phone number, e-mail or messaging handle, with an invitation to use it
W_CRYPTO_OFFER = 3.0  # send crypto, get more back; a wallet address
W_MONEY_OFFER = 2.0  # a sum of money offered, won or to be earned
W_LOAN_OFFER = 2.0
W_OWN_SITE = 2.0  # "visit my site", "check out my channel", backlinks
W_REPEATED = 2.5
# Engagement bait: asking readers to like or up-vote the comment itself ("like this
# comment if ...", "thumbs up if you ..."), or for a count of likes or subscribers ("if I
# get 100 subscribers ..."). Votes are what lift a comment, and with it the account and
# its channel or link, to where most readers see it: comment spam farms them. A reader
# who argues a point has no use for them. Held, not filed as spam.
W_VOTE_BAIT = 3.0
W_SOURCES_ONLY = -2.5  # every link goes to an official or news source
# A text that sells nothing (no link, no way to reach anyone, no wallet, no offer, no
# call to action, no product or channel of the commenter's) is taken by the model no
# further toward spam than SELLS_NOTHING_MAX_LOGIT (a score of 0.27): whatever its words,
# it cannot advertise anything. A model trained on other comment sections misreads
# genuine comments ("subscribed", "please", sums of rent) most often in exactly this case.
SELLS_NOTHING_MAX_LOGIT = -1.0
# Link spam's own anchor text (<a href=...>cheap flights</a>, [url=...]...[/url]): the
# way a site is ranked for words; a reader citing a page pastes its address.
W_ANCHOR_TEXT = 2.5
# Every link goes to a page inside a site (an address with a path), and the text asks
# nothing of readers and gives no contact: how readers cite what they read.
W_CITATION = -1.5
# An address made of sales words (cheap-flights-deals.xyz, best-roofing-leeds.co.uk).
W_SALES_DOMAIN = 1.5


@dataclass(frozen=True)
class Evidence:
    weight: float
    reason: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def links(domains: list[str]) -> list[Evidence]:
    """Many links, links through shorteners (``domains``: the text's, from
    ``features.link_domains``)."""
    found = []
    if len(domains) >= MANY_LINKS:
        found.append(Evidence(W_MANY_LINKS, f"Links to {len(domains)} different sites."))
    shorteners = [d for d in domains if d in SHORTENERS]
    if shorteners:
        found.append(
            Evidence(
                W_SHORTENER,
                f"Uses a link shortener ({', '.join(shorteners[:3])}) that hides where it leads.",
            )
        )
    return found


_CONTACT_INVITE = re.compile(
    r"\b(?:call|ring|text|sms|whats\s?app|telegram|wechat|viber|signal|contact|reach|"
    r"message|dm|e-?mail|write to|inbox|zap|llame|escriba|contacte?|chame|anrufen|kontakt|"
    r"appelez|пиши|звони|talk to me|chat with me|hit me up)\b"
    r"|whatsapp|telegram|واتساب|微信|联系"
)
# The commonest English function words: a text with several of them is read as English,
# the language whose invitations to get in touch ``_CONTACT_INVITE`` knows best.
_ENGLISH = frozenset(
    "the a an and or but to of in on for is are was were has have had with my your our "
    "if it they we i you this that be at by from not".split()
)


def _reads_english(lower: str) -> bool:
    words = lower.split()
    english = sum(word.strip(".,;:!?()\"'") in _ENGLISH for word in words)
    return english >= 3 and english >= 0.2 * len(words)


_CRYPTO = re.compile(
    r"\b(?:btc|bitcoins?|eth|ethereum|usdt|crypto\w*|tokens?|airdrop|"
    r"meme coin|binance|coinbase|metamask|forex|trading signals?)\b"
)
_CRYPTO_OFFER = re.compile(
    r"\b(?:send|double|2x|get \S+ back|receive|giveaway|airdrop|invest\w*|profits?|"
    r"earn\w*|returns?|1000x|guaranteed|presale|recover\w*|signals?|claim)\b"
)
_WARNING = re.compile(
    r"\b(?:scams?|scammers?|scammed|fraud\w*|swindl\w*|lost|victims?|warn\w*|beware|"
    r"estafa|arnaque|betrug|golpe|oszust\w*|мошен\w*|шахрай\w*|dolandırıcı\w*)\b"
)
_MONEY_OFFER = re.compile(
    r"\b(?:earn\w*|win|won|winner|prize|bonus|claim|guaranteed|profits?|"
    r"per day|a day|daily|weekly|from home|cash prize|lottery|jackpot|free|giveaway|"
    r"ganhe|gana|gagnez|verdienen|заработ\w*)\b"
)
_LOAN = re.compile(
    r"\b(?:loans?|lending|lender|credit|préstamos?|empréstimos?|kredit\w*|"
    r"кредит\w*|займ\w*|قرض)\b|लोन|贷款"
)
_LOAN_OFFER = re.compile(
    r"\b(?:offer\w*|apply|approv\w*|no credit check|bad credit|instant|fast|quick|"
    r"urgent\w*|need (?:a|money)|in need of|sin aval|sem consulta|ohne schufa|"
    r"без проверки|rápido|sofort)\b"
)
_OWN_SITE = re.compile(
    r"\b(?:(?:visit|check out|see|surf to|look at|watch|subscribe to|follow|join) "
    r"(?:my|our) (?:\w+ )?(?:site|website|web site|web page|webpage|blog|channel|page|shop|"
    r"store|profile|video|videos|podcast|playlist|mixtape|track|song|webinar)|"
    r"my (?:site|website|web site|web page|webpage|blog|homepage|web blog|blog post)"
    r"\s*(?:is|:|-|::)|"
    r"here is my (?:\w+ )?(?:site|website|blog|web page|homepage|blog post)|"
    r"link in (?:my )?(?:bio|profile)|dofollow|backlinks?|guest post\w*|seo (?:agency|services?)|"
    r"subscribe back|follow me|sub(?:scribe)? to me|follow for more|"
    # A business's own invitation ("Looking for the best roofer? Visit us today."):
    # readers do not speak for a company.
    r"visit us|(?:call|contact) us (?:today|now)|our (?:agency|company|services))\b"
    # A keyword after "my homepage ::", "my web page -": SEO spam's anchor with no link
    # (the \b above cannot end these: they end on punctuation).
    r"|\b(?:my|our) (?:site|website|web site|web page|webpage|blog|homepage|web blog|"
    r"blog post)\s*(?:::?|-{1,2}|\.{2,}|…)\s*\w"
)
_VOTE_BAIT = re.compile(
    r"(?<!would )(?<!'d )\b(?:like|thumbs? ?up|upvote|up ?vote)\s+(?:this|my)\s+comment"
    r"(?!s| section| thread| box| page| form)\b"
    r"|\b(?:like|thumbs? ?up|upvote)\s+if\s+(?:you|u|ur|your|you're|youre)\b"
    r"|\bgive (?:it|this|this comment|me) a (?:like|thumbs? up)\b"
    r"|\b(?:likes?|thumbs? up|upvotes?)\W{0,3}\s*so (?:others|everyone|more people|people)\b"
    # Or for a count of them: "if I get 100 subscribers ...", "road to 1k subs".
    r"|\b(?:if i (?:get|reach|hit|can get)|help me (?:get|reach|hit)|road to|trying to "
    r"(?:get|reach|hit))\s+(?:\d[\d,.]*k?|a (?:hundred|thousand))\s+"
    r"(?:subs|subscribers|followers|likes)\b"
)


# What bait asks of readers (in the present tense: "subscribe", not "subscribed").
# These patterns are matched against the lower-cased text (faster than ignoring case).
_CALL_TO_ACTION = re.compile(
    r"\b(?:check (?:it |this |these )?out(?! the\b)|check (?:my|this|mah)|subscribe|sub|subs|"
    r"subscribers|my (?:first )?subscriber|like (?:this|my) (?:comment|video|page|post)|"
    r"like my|like if|give (?:it|this|me|us) a (?:like|thumbs)|thumbs up|like 4 like|"
    r"follow 4 follow|f4f|l4l|follow (?:me|us|my|our|back|for)|"
    r"visit (?:my|our|us|this site|the site|the link|here)|take a look|look up|search|"
    r"watch (?:my|our|this video)|share (?:this|my|your)|click (?:here|this|the link|on|below)|"
    r"go to (?:my|our)|join (?:my|our|us|now|here|the group)|add me|message me|dm me|"
    r"text me|contact me|call me|write me|whatsapp me|inbox me|telegram|whats ?app|wechat|"
    r"viber|loans?|payday|lender|recovery expert|hacker|channel|playlist|youtube|youtuber|"
    r"itunes|soundcloud|(?:a|my|our) cover|vote|"
    r"(?:new|newest|latest|my|our) (?:\w+ )?(?:song|single|video|music|remix|track|album|mixtape)|"
    r"(?:please |pls |plz )?like (?:please|pls|plz)|please like|"
    r"su[bcs]{0,3}rib(?:e|le|ee)?)\b"
)


def is_bait(text: str) -> bool:
    """Whether a text asks readers to subscribe, click, follow, visit, share ..."""
    return _CALL_TO_ACTION.search(text.lower()) is not None


# What a commenter selling something says about themselves or their goods, in the
# languages spam arrives in most: their channel, music or shop, a product, an order.
_SELLING = re.compile(
    r"\b(?:(?:my|our) (?:\w+ )?(?:channel|videos?|music|songs?|raps?|beats?|mixtape|"
    r"album|page|blog|site|website|shop|store|profile|book|ebook|podcast|app|course|"
    r"instagram|tiktok|soundcloud|spotify|twitch)|check (?:me|us) out|"
    r"\d+\s?(?:subs|subscribers|followers)|suscrib\w*|sub4sub|sub for sub|"
    r"free (?:gift|money|followers|likes|spins|iphone|diamonds|coins|robux)|gift ?cards?|"
    r"buy|order (?:now|today|online)|cheap\w*|discount|% off|coupon|promo code|"
    r"no prescription|without (?:a )?prescription|viagra|cialis|casino|slots?|jackpot|"
    r"betting|free spins|bonus|passive income|make money|earn money|"
    r"mi canal|meu canal|mein(?:en)? kanal|ma chaîne|мой канал|compra|comprar|kaufen|"
    r"acheter|купить|ganhe|gana dinero|gagnez|verdienen)\b"
)


@functools.lru_cache(maxsize=64)  # asked twice of a text with links
def asks_something(text: str) -> bool:
    """Whether a text asks readers to do something (subscribe, click, visit ...) or
    offers something of the commenter's (a channel, a product, a bonus)."""
    lower = text.lower()
    return _CALL_TO_ACTION.search(lower) is not None or _SELLING.search(lower) is not None


SELLS_NOTHING = Evidence(
    0.0,
    "No link, offer, call to action or invitation to get in touch: the words alone "
    "cannot make it spam.",
)


_ANCHOR = re.compile(
    r"(?is)<a\s[^>]{0,500}href[^>]{0,500}>\s*([^<]{1,120}?)\s*</a>"
    r"|\[url=[^\]]{1,500}\]\s*([^\[]{1,120}?)\s*\[/url\]"
)
_SALES_WORDS = re.compile(
    r"cheap|best|buy|sale|deal|discount|casino|bet|slot|poker|loan|credit|cash|pills?|"
    r"pharma|rx|viagra|cialis|replica|essay|seo|backlink|followers|likes|diamonds|"
    r"free|win|bonus|spin|money|income|earn|crypto|forex|keto|slim|diet|dating|escort|"
    r"gacor|maxwin|kazino|bahis|apotheke|potenz"
)


def anchors(text: str) -> list[Evidence]:
    """Links written with their own anchor text, as link spam writes them."""
    match = _ANCHOR.search(text)
    if match is None:
        return []
    words = (match.group(1) or match.group(2) or "").strip()
    return [
        Evidence(
            W_ANCHOR_TEXT,
            f"Links with its own anchor text (“{words[:60]}”), as link spam does to rank a site.",
        )
    ]


def citation(text: str, domains: list[str], found: Sequence[Evidence]) -> list[Evidence]:
    """Links that cite pages, in a text that sells nothing (``found``: the evidence read
    so far, none of which may point to spam)."""
    if not domains or any(item.weight for item in found):
        return []  # no links, or links already judged (sources only, shorteners ...)
    plain = clean(bounded(text))
    links = find_links(plain)
    paths = [link.split("/", 3)[-1] if "://" in link else link.partition("/")[2] for link in links]
    if not links or not all(path.strip("/") for path in paths):
        return []
    if asks_something(plain) or phone_numbers(plain) or contact_handles(plain) or has_wallet(plain):
        return []
    shown = ", ".join(dict.fromkeys(domains[:3]))
    return [Evidence(W_CITATION, f"Cites pages on {shown} and asks nothing of readers.")]


def sales_domains(domains: list[str]) -> list[Evidence]:
    """Links to an address made of sales words or strung together with hyphens."""
    found = []
    for domain in domains:
        if is_source(domain) or domain in SHORTENERS:
            continue
        name = domain.rsplit(".", 1)[0]
        if name.count("-") >= 2 or len(_SALES_WORDS.findall(name)) >= 1:
            found.append(domain)
    if not found:
        return []
    names = ", ".join(found[:3])
    return [Evidence(W_SALES_DOMAIN, f"Links to {names}: an address made of sales words.")]


def content(text: str, domains: list[str]) -> list[Evidence]:
    """What the text carries that marks spam (or genuine sources), in words.

    ``domains`` are the text's linked domains (``features.link_domains``)."""
    return read(text, domains)[0]


def read(text: str, domains: list[str]) -> tuple[list[Evidence], bool]:
    """``content()``, and whether the text carries anything a spammer could be paid for
    (a link, a wallet, a way to be reached that readers are asked to use), read in one
    pass."""
    plain = clean(bounded(text))
    lower = plain.lower()
    found = []
    phones = phone_numbers(plain)
    handles = contact_handles(plain)
    money = has_money(plain)
    wallet = has_wallet(plain)
    what = (
        f"a phone number ({phones[0]})"
        if phones
        else f"a contact ({handles[0]})"
        if handles
        else ""
    )
    invited = bool(what) and _CONTACT_INVITE.search(lower) is not None
    if invited:
        found.append(Evidence(W_CONTACT, f"Gives {what} and asks readers to get in touch."))
    elif what:
        found.append(Evidence(0.0, f"Gives {what}."))
    # A reader warning about a scam ("my uncle lost $40,000 to a crypto investment
    # scam") names the same things as the scam, but offers no way to take part.
    warns = _WARNING.search(lower) is not None and not (what or wallet or domains)
    if wallet or (_CRYPTO.search(lower) and _CRYPTO_OFFER.search(lower) and not warns):
        found.append(
            Evidence(W_CRYPTO_OFFER, "Offers a crypto-currency deal (send, invest, get more back).")
        )
    elif money and _MONEY_OFFER.search(lower):
        found.append(Evidence(W_MONEY_OFFER, "Offers money: a sum to win, earn or claim."))
    if _LOAN.search(lower) and _LOAN_OFFER.search(lower):
        found.append(Evidence(W_LOAN_OFFER, "Offers a loan or credit."))
    own = _OWN_SITE.search(lower)
    if own:
        found.append(
            Evidence(
                W_OWN_SITE, f"Advertises the commenter's own site or channel (“{own.group(0)}”)."
            )
        )
    bait = _VOTE_BAIT.search(lower)
    if bait:
        found.append(
            Evidence(
                W_VOTE_BAIT,
                f"Asks readers for likes or subscribers (“{bait.group(0)}”), "
                "as comment spam does to be seen.",
            )
        )
    if is_repetitive(plain):
        found.append(Evidence(W_REPEATED, "Repeats the same words over and over."))
    if domains and all(is_source(d) for d in domains):
        names = ", ".join(domains[:3])
        found.append(Evidence(W_SOURCES_ONLY, f"Links only to official or news sources ({names})."))
    elif domains:
        unknown = ", ".join(d for d in domains if not is_source(d))
        found.append(Evidence(0.0, f"Links to an unknown site: {unknown}."))
    # A sum alone is not something to sell (rents, bills, fines), nor is a phone number
    # given without an invitation to call it (a helpline, a council's desk) in a text
    # read as English, the language whose invitations are known best: the rules above
    # judge what is done with them. A handle or an e-mail address is a way to be
    # reached whatever is said around it.
    phone_sold = bool(phones) and (invited or not _reads_english(lower))
    return found, bool(domains or handles or phone_sold or wallet)


# Top-level domains that registries sell for next to nothing and that spam campaigns
# favour (Spamhaus' and Interisle's yearly reports of the most abused ones).
CHEAP_TLDS = frozenset(
    "xyz top site online click shop store live club biz info cc tk ml ga cf gq icu buzz "
    "loan win bid stream download racing review vip work fun space website pw rest".split()
)
W_CHEAP_TLD = 1.5


def cheap_domains(domains: list[str]) -> list[Evidence]:
    """Links to domains under top-level domains spam favours (``.xyz``, ``.top`` ...)."""
    cheap = [d for d in domains if d.rsplit(".", 1)[-1] in CHEAP_TLDS]
    if not cheap:
        return []
    names = ", ".join(cheap[:3])
    return [Evidence(W_CHEAP_TLD, f"Links to {names}: a kind of address spam favours.")]


def spam_domains(domains: list[str], author_url: str) -> list[Evidence]:
    """Links to domains moderators have marked as spam (the text's ``domains`` and the
    author's URL)."""
    author_domain = domain_of(author_url) if author_url else ""
    if "." in author_domain and author_domain not in domains:
        domains = [*domains, author_domain]
    if not domains:
        return []
    from byline.antispam.models import MARKED_DOMAINS_SQL, SpamDomain

    with connections[SpamDomain.objects.db].cursor() as cursor:
        cursor.execute(MARKED_DOMAINS_SQL.format(", ".join(["%s"] * len(domains))), domains)
        tallies = dict(cursor.fetchall())
    marked = [(domain, tallies[domain]) for domain in domains if domain in tallies]
    if not marked:
        return []
    worst = max(spam for _, spam in marked)
    names = ", ".join(domain for domain, _ in marked[:3])
    return [
        Evidence(
            W_SPAM_DOMAIN,
            f"Links to {names}, which moderators have marked as spam {_plural(worst, 'time')}.",
        )
    ]


def timing(submission: Submission, min_seconds: float) -> list[Evidence]:
    seconds = submission.seconds_to_submit
    if seconds is None or seconds < 0 or seconds >= min_seconds:
        return []
    return [
        Evidence(
            W_TOO_FAST,
            f"Sent {seconds:.1f} s after the form was shown: faster than a person writes.",
        )
    ]


def history(submission: Submission) -> list[Evidence]:
    """What moderators decided about earlier comments under the same e-mail."""
    if submission.author_spam_comments > 0:
        n = submission.author_spam_comments
        return [
            Evidence(
                W_SPAM_HISTORY * min(n, 3),
                f"{_plural(n, 'earlier comment')} under this e-mail "
                f"{'was' if n == 1 else 'were'} marked spam.",
            )
        ]
    if submission.author_approved_comments > 0:
        n = submission.author_approved_comments
        return [
            Evidence(
                W_APPROVED_HISTORY,
                f"Known commenter: {_plural(n, 'earlier comment')} under this e-mail "
                f"{'was' if n == 1 else 'were'} approved.",
            )
        ]
    return []


def duplicates(submission: Submission, text_key: str, plain_text: str) -> list[Evidence]:
    """The same text posted under other articles recently."""
    if len(plain_text) < DUPLICATE_MIN_CHARS:
        return []
    from byline.antispam.models import SAME_TEXT_SQL, CheckLog

    connection = connections[CheckLog.objects.db]
    since = timezone.now() - timedelta(days=DUPLICATE_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(SAME_TEXT_SQL, [text_key, connection.ops.adapt_datetimefield_value(since)])
        articles = {row[0] for row in cursor.fetchall()}
    articles.discard(submission.article_id)
    elsewhere = len(articles)
    if not elsewhere:
        return []
    return [
        Evidence(
            W_DUPLICATE * min(elsewhere, 2),
            f"The same text was posted under {_plural(elsewhere, 'other article')} "
            f"in the last {DUPLICATE_DAYS} days.",
        )
    ]
