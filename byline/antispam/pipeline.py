"""What ``check()`` does: the configured backend's verdict, recorded; and the local
filter's pipeline (text model + signals → score → verdict, with reasons).

The whole check of one comment runs in two modules: this one (the signals, the score,
the verdict and the check's record) and ``classifier`` (what the text says, and the text
model). The model comes from this process's cache (``store`` fills it when the database
holds a newer version or a decision it has not seen), and the few statements a check
runs are plain SQL held by ``models``, so neither is called into on an ordinary check.

The signals besides the text model are each a weight (in log-odds) and a reason. A
positive weight pushes toward spam, a negative one toward publishing. Every signal that
moved the score says so in words a moderator can check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

# What the text says: pure functions, no numpy (the model's libraries load on first use).
from byline.antispam.classifier import (
    SHORTENERS,
    Explanation,
    TextModel,
    bounded,
    clean,
    contact_handles,
    disguised_links,
    domain_of,
    duplicate_key,
    encodable,
    find_links,
    has_money,
    has_wallet,
    imitated_news_site,
    is_appeal_page,
    is_cited,
    is_repetitive,
    is_source,
    link_domains,
    phone_numbers,
    spelt_links,
    without_links,
)
from byline.antispam.contract import Decision, Label, SpamBackend, Submission, Verdict
from byline.redisconn import redis_client

logger = logging.getLogger("byline.antispam")

FAILED_REASON = "The spam filter failed on this comment, so it waits for a moderator."

# The score's log-odds are kept within this bound so one signal cannot make it absolute.
MAX_LOGIT = 30.0


# The signals ==================================================================

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
# A way to reach someone (an e-mail address or a handle, not a phone number: official
# helplines give those) offered to readers who lost money: recovery scams find their
# victims under warnings about the first scam ("lost money to a fake broker? write to
# … they got it back"). A reader's warning names the police or a bank, not an address.
W_RECOVERY = 1.5
BAIT_REASON = "Asks readers for likes or subscribers"
OWN_SITE_REASON = "Advertises the commenter's own site or channel"
RECOVERY_REASON = "Offers readers who lost money someone to contact"
MIXED_SCRIPT_REASON = "Mixes Latin letters with look-alike Cyrillic or Greek ones"
INVITE_REASON = "and asks readers to get in touch."
# A link spelt out in words ("replicahub dot net", "www dot bestloans4u dot com"): the text
# model reads only the words, so what it says of them is not taken further toward
# genuine than OWN_SITE_MIN_LOGIT (a link to a recognised source aside: "gov dot uk").
SPELT_LINK_REASON = "Spells a link out in words so that it does not read as one"
# A link to an address dressed up as a news organisation's ("bbc-news-money.example.com",
# "bbc.co.uk.news-report24.example.net"): fake news sites' story pages, which sell
# whatever the story praises. Readers link the organisation's own site. Never a citation.
W_LOOKALIKE = 3.0
LOOKALIKE_REASON = "Links to an address dressed up as a news site's"
PLUG_REASONS = (
    OWN_SITE_REASON,
    RECOVERY_REASON,
    MIXED_SCRIPT_REASON,
    LOOKALIKE_REASON,
    SPELT_LINK_REASON,
)
ANCHOR_REASON = "Links with its own anchor text"
CITATION_REASON = "Cites pages on"
# Bait is written in a reader's words by design ("thumbs up if you think the journalist
# deserves an award"), so the model read it as genuine and outweighed the rule. A text
# that asks for votes is taken by the trained model no further toward genuine than
# VOTE_BAIT_MIN_LOGIT: with the rule's +3 it is held (0.62), never filed as spam by the
# rule alone; what moderators taught is added on top.
VOTE_BAIT_MIN_LOGIT = -2.5
# A plug for the commenter's own channel or site is written in a fan's words ("iscrivetevi
# al mio canale, parlo di calcio"), and in a language the training sets hardly had the
# model reads it as genuine and outweighs the rule. Such a text is taken by the model no
# further toward genuine than this: with the rule's +2 it is held (0.62), not filed.
# A recovery scam is written as a grateful victim's story, and is floored the same way;
# so is a text disguised in look-alike letters, which the model cannot read at all, and
# link spam's anchor text to a site that is neither a source nor one public post ("Great
# post. <a href=…>roofing contractors leeds</a>": a ranked keyword in a reader's words),
# and a phone number or an account readers are asked to call or write to (a public
# office's number is no contact): fake reviews of a local trade ("ring Dave on …, tell
# him you saw it here") and adverts in languages the training sets hardly had ("加微信
# …", "카톡 ID …") read as a satisfied customer's or a stranger's words.
OWN_SITE_MIN_LOGIT = -1.5
# Words that mix Latin letters with Cyrillic or Greek look-alikes ("Vіаgrа", "Віtсоіn",
# "wіnbіg.casino"): written so that filters and link readers miss them. A reader writes
# each word in one alphabet; one such word (a stray Greek "Ο") is allowed.
W_MIXED_SCRIPT = 2.0
MIXED_SCRIPT_MIN_WORDS = 2
_MIXED_WORD = re.compile(
    r"\b(?=[^\W\d_]*[A-Za-z])(?=[^\W\d_]*[\u0370-\u03ff\u0400-\u04ff])[^\W\d_]+"
)
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
# ... and such a comment never reaches the spam folder on the text model's word alone:
# its log-odds are capped here (0.73, between "published" and "spam" at the default
# thresholds), so it waits for a moderator. Readers cite a page in a few words in every
# language ("Fuente: <url>", "Full hearing: <url>"), and a model trained where links
# mostly meant spam reads nearly all of them as spam: on a set of such citations never
# tuned on it filed a third of them as spam. Spam that only cites a page is held too.
CITATION_MAX_LOGIT = 1.0
# A short text whose only hint of spam is that it names one site ("I found it cheaper at
# www.aldi.co.uk", "For support, visit https://www.mind.org.uk") is held at most, never
# filed as spam on the text model's word alone: readers name a shop's, a club's or a
# charity's site in a few words, and a model trained where links mostly meant spam
# filed five of eight such probes as spam. A sales address, anchor text, a shortener or
# a way to be reached still files it. Spam of this shape waits for a moderator instead.
ONE_SITE_REASON = "Names one site in a few words and nothing else points to spam"
ONE_SITE_MAX_WORDS = 40
# An address made of sales words (cheap-flights-deals.xyz, best-roofing-leeds.co.uk).
W_SALES_DOMAIN = 1.5
# A link written so as not to read as one ("cash-fast[.]com", "ｃａｓｈ．ｃｏｍ",
# "ⓒⓐⓢⓗ.com"): what spam does to slip past filters and link readers. The link itself
# is read as written plainly; this is the disguise, shown to the moderator.
W_DISGUISED_LINK = 1.0
DISGUISED_LINK_REASON = "Writes a link so that it does not read as one"
# Readers are sent ("Visit https://…", "order at …", "more info: …") to a site's home
# page that is no recognised source: a reader citing something links the page it is on;
# an advert names the site. Enough to hold what the model reads as nearly genuine.
W_HOME_PAGE = 1.0
HOME_PAGE_REASON = "Sends readers to the home page of"
_SENDS_TO = re.compile(
    r"(?i)\b(?:visit|go to|head (?:over )?to|order (?:now |today )?(?:at|from|on)|"
    r"sign up (?:at|on)|register (?:now )?(?:at|on)|join (?:now )?(?:at|on)|"
    r"apply (?:now )?(?:at|on)|shop (?:now )?(?:at|on)|book (?:now )?(?:at|on)|"
    r"more (?:info|details|information)(?: (?:at|on))?|"
    r"find out more(?: at)?|learn more(?: at)?|details (?:at|on))\s*[:>→\-–]*\s*$"
    # … or a sentence that opens on an order and ends on the site ("Compare the best
    # offers instantly at …", "Get yours today from …").
    r"|(?:^|[.!?][\"'”’»)]*\s+)(?:compare|find|get|buy|book|shop|order|grab|claim|discover|apply|"
    r"sign up|join|try|download|hire|rent|request)\b[^.!?]{0,80}\b(?:at|on|from|via)"
    r"\s*[:>→\-–]*\s*$"
)


@dataclass(frozen=True)
class Evidence:
    weight: float
    reason: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def links(domains: list[str]) -> list[Evidence]:
    """Many links, links through shorteners (``domains``: the text's, from
    ``classifier.link_domains``)."""
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
    r"message|dm|e-?mail|write to|inbox|zap|llamen?|llám\w+|escriba|contacte?|chame|anrufen|"
    r"kontakt|"
    r"appelez|пиши|звони|talk to me|chat with me|hit me up|"
    # The same invitation in the other languages spam arrives in: contact, call, write,
    # add (a contact), and the messaging apps each region uses.
    r"contactez|écrivez|escríbe\w*|contáct\w*|contatt\w*|chiamaci|chiamateci|scrivi\w*|fale|"
    r"hubungi|liên hệ|zalo|kakao\w*|line id|yazın|arayın|ulaşın|напишите|свяжитесь)\b"
    # An app's name run into a language that does not space its words ("詳しくはLINE ID").
    r"|whatsapp|telegram|instagram|line ?id|kakao|wechat"
    r"|\b(?:insta|ig|tiktok|snap(?:chat)?|facebook|fb)\b"
    r"|телеграм|инстаграм|пишите|텔레그램|电报|テレグラム|واتساب|تواصل|اتصل|微信|联系|加我|私信|連絡|연락|카톡|텔레그램"
    r"|कॉल|व्हाट्सएप|संपर्क"
)
# LINE, the app, in capitals beside Japanese, Thai or Chinese ("LINEで登録", "แอดLINE"):
# read in the text as written (a "line" is no app).
_LINE_APP = re.compile(
    r"(?<=[\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff])LINE|LINE(?=[\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff])"
)
# Readers asked to find the commenter on a messaging app, with no id given ("add me on
# LINE", "message me on Telegram", "LINE追加して"): the id is the commenter's name.
# LINE, the app, in capitals ("drop me a line" is no app); "added her on LINE" is a
# reader's account of a scam, not an invitation.
_APP_INVITE = re.compile(
    r"(?i)\b(?:add|message|msg|text|dm|pm|contact|inbox|ping|hit|chat with|talk to|"
    r"reach)\s+(?:me|us)(?:\s+up)?\s+(?:on|via|at|in|through|over)\s+"
    r"(?:(?-i:(?P<line>LINE))|(?P<app>telegram|whats\s?app|wechat|signal|viber|"
    r"kakao(?:\s?talk)?|zalo|snap(?:chat)?|discord|kik|threema|session))\b"
    r"|(?-i:LINE)(?:で|を|に)?(?:友だち|友達)?追加|加(?:我)?(?-i:LINE)"
)
# A fundraiser for the commenter themselves ("help me", "I need $500", "my dog needs
# surgery", "donate to my cashapp"): the shape of begging spam, which posts the same
# appeal under every story, not a cause a reader shares.
_PLEA = re.compile(
    r"\b(?:help (?:me|my)|i (?:just |really )?need|(?:my|our) (?:little |poor |sick )?(?:son|"
    r"daughter|dog|cat|pet|mum|mom|mother|dad|father|friend|baby|husband|wife|surgery|"
    r"operation|rent|bills|treatment)|donate to (?:me|my)|cash ?app|venmo|zelle|paypal)\b"
)
# The commonest English function words: a text with several of them is read as English,
# the language whose invitations to get in touch ``_CONTACT_INVITE`` knows best.
_ENGLISH = frozenset(
    "the a an and or but to of in on for is are was were has have had with my your our "
    "if it they we i you this that be at by from not".split()
)


# A public body whose desk a reader passes on ("the council's highways team on 0113 …",
# "el teléfono del ayuntamiento es el …"): institutions, not "support" or "helpline",
# which is what support scams call themselves.
_PUBLIC_OFFICE = re.compile(
    r"\b(?:(?:city|county|district|parish|borough|town) council|council's|the council|"
    r"town hall|city hall|police|fire (?:brigade|service|department)|nhs|gp surgery|"
    r"citizens advice|jobcentre|ombudsman|housing office|highways|library|"
    r"(?:flood|gritting|non-emergency|council tax|bins?|waste|recycling|benefits|repairs) "
    r"(?:line|hotline|team|helpline)|floodline|"
    r"ayuntamiento|municipalidad|prefeitura|câmara municipal|junta de freguesia|mairie|"
    r"préfecture|rathaus|bürgeramt|bürgerbüro|landratsamt|stadtverwaltung|gemeente|comune|"
    r"municipio|urz[aą]d\w*|gminy?|belediye\w*|kommunen?s?|kommune|kunta|"
    r"δήμο\w*|δημαρχείο\w*|полици\w*|мэри\w*|администраци\w*)\b"
    # Japanese and Chinese offices, which \b does not delimit: a city, ward or town office,
    # a prefecture, a health centre.
    r"|市役所|区役所|役場|県庁|保健所|市政府|区政府|街道办"
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
# What a recovery scam's happy customer says ("got it all back", "recuperé todo").
_RECOVERED = re.compile(
    r"\b(?:recover\w*|got (?:it|them|all|everything|my \w+) (?:all )?back|recuper\w*|"
    r"zurückbekommen|zurückgeholt|récupér\w*|вернул\w*)"
)
_MONEY_OFFER = re.compile(
    r"\b(?:earn\w*|win|won|winner|prize|bonus|claim|guaranteed|profits?|"
    r"per day|a day|daily|weekly|from home|cash prize|lottery|jackpot|free|giveaway|"
    r"ganhe|gana|gagnez|verdienen|заработ\w*|доход\w*|"
    # A sum by the day, week or month in the other languages an offer of pay comes in.
    r"(?:a|al|por|par|pro|per|al|в) (?:la )?(?:d[ií]a|semana|jour|semaine|tag|woche|giorno|"
    r"settimana|dia|день|неделю))\b"
    # "earn per day / a month" where words are not spaced (Chinese, Japanese) or in
    # Devanagari, which \b does not delimit.
    r"|日赚|日入|月入|赚钱|稼ぐ|稼げ|月収|कमाएं|कमाई"
)
_PRIZE = re.compile(r"\b(?:win|winner|prize|claim|lottery|jackpot|giveaway|voucher)\b")
# A sum written with its currency's word after it, as Chinese, Japanese, Hindi and
# Russian write it ("500元", "50万円", "50,000 रुपये", "300 000 рублей"): a sum of money
# like "$500" (``classifier.has_money`` knows the symbols and the Latin-script names).
_WORD_AMOUNT = re.compile(r"\d[\d,. ]*\s?(?:元|块|円|万円|万元|रुपये|रुपए|рубл|руб|гривен|грн)")
_LOAN = re.compile(
    r"\b(?:loans?|lending|lender|credit|préstamos?|empréstimos?|kredit\w*|"
    r"кредит\w*|займ\w*|قرض)\b|लोन|贷款"
)
_LOAN_OFFER = re.compile(
    r"\b(?:offer\w*|apply|approv\w*|no credit check|bad credit|instant|fast|quick|"
    r"urgent\w*|need (?:a|money)|in need of|sin aval|sem consulta|ohne schufa|"
    r"без проверки|rápido|sofort|cepat|hızlı|veloc\w*|rapide)\b"
    r"|तुरंत|पाएं|बिना|快速|즉시"
)
_OWN_SITE = re.compile(
    r"\b(?:(?:visit|check out|see|surf to|look at|watch|subscribe to|follow|join) "
    r"(?:my|our) (?:\w+ )?(?:site|website|web site|web page|webpage|blog|channel|page|shop|"
    r"store|profile|video|videos|podcast|playlist|mixtape|track|song|webinar|tiktok|"
    r"instagram|insta|ig|twitch|youtube|spotify)|"
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
    # "Subscribe to my channel" in the languages spam arrives in: "to my channel" is
    # said by the channel's owner to those it wants as subscribers.
    r"|\b(?:al mio canale|a mi canal|no meu canal|ao meu canal|à ma chaîne|"
    r"sur ma chaîne|meinen kanal|mijn kanaal|mój kanał|на мой канал|kanalıma)\b"
    # … with the platform's name inside ("mi canal de YouTube", "meinen YouTube-Kanal",
    # "мой телеграм-канал"), asked to subscribe to it in the imperative ("abonnez-vous à
    # ma chaîne TikTok"), or to follow its owner there ("sígueme en TikTok").
    r"|\b(?:mi|meu|ma|meinen|mio|mijn|mój|мой)\s+(?:[\w]+[- ])?(?:canal|chaîne|kanal|canale|"
    r"kanaal|kanał|канал)\b"
    r"|\b(?:suscr[ií]b(?:anse|ete|ase|an)|abonnez|abonne-toi|abonniert (?:meinen|mich)|"
    r"iscriv(?:iti|etevi)|inscrev(?:a|am)|подпис(?:ывайтесь|ывайся|итесь|ись)|abone olun)\b"
    r"|\b(?:s[ií]gueme|s[ií]ganme|sigam-me|segue-me|suivez-moi|folgt mir|seguimi|seguitemi|"
    r"volg mij|follow me) (?:en|no|na|sur|auf|su|op|on) (?:tiktok|instagram|insta|ig|youtube|"
    r"twitch|twitter|facebook|x)\b"
    r"|\blink (?:en mi perfil|na bio|no perfil|dans (?:ma )?bio|in (?:der |meiner )?bio)\b"
    r"|चैनल को सब्सक्राइब|मेरे \S+ चैनल|チャンネル登録|订阅我的|我的频道|구독 부탁|제 채널"
    # A podcast plugged by its maker: the way listeners are sent to find it.
    r"|\b(?:on|in) (?:my|our) (?:latest |new |weekly )?podcast\b"
    r"|\bwherever you (?:get|listen to) (?:your )?podcasts\b"
)
_VOTE_BAIT = re.compile(
    r"(?<!would )(?<!'d )\b(?:like|thumbs? ?up|upvote|up ?vote)\s+(?:this|my)\s+comment"
    r"(?!s| section| thread| box| page| form)\b"
    r"|\b(?:like|thumbs? ?up|upvote)\s+if\s+(?:you|u|ur|your|you're|youre)\b"
    r"|\bgive (?:it|this|this comment|me) a (?:like|thumbs? up)\b"
    r"|\b(?:likes?|thumbs? up|upvotes?)\W{0,3}\s*so (?:others|everyone|more people|people)\b"
    # Or for a count of them: "if I get 100 subscribers ...", "road to 1k subs".
    r"|\b(?:if i (?:get|reach|hit|can get)|help me (?:get|reach|hit)|road to|trying to "
    r"(?:get|reach|hit)|if this (?:comment|post|reply) (?:gets|reaches|hits|gets to))\s+"
    r"(?:\d[\d,.]*k?|a (?:hundred|thousand))\s+"
    r"(?:subs|subscribers|followers|likes)\b"
)


# What bait asks of readers (in the present tense: "subscribe", not "subscribed"). A
# messaging app named alone ("she was contacted on WhatsApp") is no invitation; asking
# readers to use it ("contact hackerjay on Telegram") is.
# These patterns are matched against the lower-cased text (faster than ignoring case).
_CALL_TO_ACTION = re.compile(
    r"\b(?:check (?:it |this |these )?out(?! the\b)|subscribe|sub|subs|"
    # "check my working / maths / sources" is a reader showing their reasoning.
    r"check (?:my|this|mah)(?! (?:working|workings|maths?|sums|numbers|figures|"
    r"calculations?|sources?|facts|reasoning|spreadsheet|code|data|notebook|analysis)\b)|"
    r"subscribers|my (?:first )?subscriber|like (?:this|my) (?:comment|video|page|post)|"
    r"like my|like if|give (?:it|this|me|us) a (?:like|thumbs)|thumbs up|like 4 like|"
    r"follow 4 follow|f4f|l4l|follow (?:me|us|my|our|back|for)|"
    r"visit (?:my|our|us|this site|the site|the link|here)|take a look|look up|search|"
    r"watch (?:my|our|this video)|share (?:this|my|your)|click (?:here|this|the link|on|below)|"
    r"go to (?:my|our)|join (?:my|our|us|now|here|the group)|add me|message me|dm me|"
    r"text me|contact me|call me|write me|whats ?app me|telegram me|inbox me|"
    r"(?:contact|message|reach|add|text|write to|find) (?:\w+ ){0,2}(?:on|via|at) "
    r"(?:telegram|whats ?app|wechat|viber|signal)|"
    r"(?<!the )(?<!student )(?<!mortgage )loans?|payday|lender|recovery expert|hacker|"
    r"channel|playlist|youtuber|"
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
    r"\b(?:(?:my|our) (?!(?:weekly|food|grocery|big|usual|local|corner|monthly|daily|"
    r"supermarket|last|nearest|christmas) (?:shop|store)\b)"
    r"(?:\w+ )?(?:channel|videos?|music|songs?|raps?|beats?|mixtape|"
    r"album|page|blog|site|website|shop|store|profile|book|ebook|podcast|app|course|"
    r"instagram|tiktok|soundcloud|spotify|twitch)|check (?:me|us) out|"
    r"\d+\s?(?:subs|subscribers|followers)|suscrib\w*|sub4sub|sub for sub|"
    r"free (?:gift|money|followers|likes|spins|iphone|diamonds|coins|robux)|gift ?cards?|"
    # "buy" and "discount" as an offer, not a reader's "afford to buy food" or a quoted
    # "fuel discount".
    r"buy (?:now|today|here|online|cheap|from (?:us|me)|my|our|followers|likes|views|"
    r"subscribers)|order (?:now|today|online)|cheap\w*|discount (?:code|coupon)|"
    r"\d+\s?% discount|% off|coupon|promo code|"
    r"no prescription|without (?:a )?prescription|viagra|cialis|casino|slots?|jackpot|"
    r"betting|free spins|bonus|passive income|make money|earn money|"
    r"mi canal|meu canal|mein(?:en)? kanal|ma chaîne|мой канал|compra|comprar|kaufen|"
    r"acheter|купить|ganhe|gana dinero|gagnez|geld verdienen)\b"
)


@lru_cache(maxsize=64)  # asked twice of a text with links
def asks_something(text: str) -> bool:
    """Whether a text asks readers to do something (subscribe, click, visit ...) or
    offers something of the commenter's (a channel, a product, a bonus). A link's address
    is not read as words: a link to a video on youtube.com asks nothing by itself."""
    lower = without_links(text).lower()
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
            f"{ANCHOR_REASON} (“{words[:60]}”), as link spam does to rank a site.",
        )
    ]


def citation(text: str, domains: list[str], found: Sequence[Evidence]) -> list[Evidence]:
    """Links that cite pages, in a text that sells nothing (``found``: the evidence read
    so far, none of which may point to spam)."""
    if not domains or any(item.weight for item in found):
        return []  # no links, or links already judged (sources only, shorteners ...)
    plain = clean(bounded(text))
    links = find_links(plain)
    # "https://site.example/" and "https://site.example" are a home page, not a page cited.
    paths = [link.split("://", 1)[-1].partition("/")[2] for link in links]
    if not links or not all(path.strip("/") for path in paths):
        return []
    if asks_something(plain) or phone_numbers(plain) or contact_handles(plain) or has_wallet(plain):
        return []
    shown = ", ".join(dict.fromkeys(domains[:3]))
    return [Evidence(W_CITATION, f"{CITATION_REASON} {shown} and asks nothing of readers.")]


def home_pages(text: str) -> list[Evidence]:
    """Readers sent to the home page of a site that is no recognised source."""
    if "." not in text:
        return []
    plain = clean(bounded(text))
    for link in find_links(plain):
        domain = domain_of(link)
        if is_source(domain) or link.split("://", 1)[-1].partition("/")[2].strip("/"):
            continue
        at = plain.find(link)
        if at > 0 and _SENDS_TO.search(plain[max(0, at - 120) : at]):
            return [Evidence(W_HOME_PAGE, f"{HOME_PAGE_REASON} {domain}.")]
    return []


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


def lookalikes(domains: list[str]) -> list[Evidence]:
    """Links to addresses dressed up as a news organisation's (``imitated_news_site``)."""
    for domain in domains:
        brand = imitated_news_site(domain)
        if brand:
            return [
                Evidence(
                    W_LOOKALIKE,
                    f"{LOOKALIKE_REASON} ({domain}, named after “{brand}”), "
                    "as fake news sites' story pages are.",
                )
            ]
    return []


def disguises(text: str) -> list[Evidence]:
    """Links written in full-width or circled letters, with their dots "defanged", or
    spelt out in words ("replicahub dot net")."""
    hidden = disguised_links(text)
    if not hidden:
        return []
    spelt = [link for link in spelt_links(text) if not is_source(domain_of(link))]
    if spelt:
        return [Evidence(W_DISGUISED_LINK, f"{SPELT_LINK_REASON} ({', '.join(spelt[:3])}).")]
    return [Evidence(W_DISGUISED_LINK, f"{DISGUISED_LINK_REASON} ({', '.join(hidden[:3])}).")]


def content(text: str, domains: list[str]) -> list[Evidence]:
    """What the text carries that marks spam (or genuine sources), in words.

    ``domains`` are the text's linked domains (``classifier.link_domains``)."""
    return read(text, domains)[0]


def read(text: str, domains: list[str]) -> tuple[list[Evidence], bool]:
    """``content()``, and whether the text carries a payload, anything a spammer could be
    paid for (a link to neither a recognised source nor one public post, a wallet, a way
    to be reached), read in one pass."""
    plain = clean(bounded(text))
    lower = plain.lower()
    found = []
    phones = phone_numbers(plain)
    handles = contact_handles(plain)
    money = has_money(plain) or _WORD_AMOUNT.search(plain) is not None
    wallet = has_wallet(plain)
    what = (
        f"a phone number ({phones[0]})"
        if phones
        else f"a contact ({handles[0]})"
        if handles
        else ""
    )
    invited = bool(what) and (
        _CONTACT_INVITE.search(lower) is not None or _LINE_APP.search(plain) is not None
    )
    # A phone number is a way to be reached unless it is given, without an invitation, in
    # a text read as English, the language whose invitations are known best (a
    # helpline, a council's desk); a handle or an e-mail address always is.
    phone_sold = bool(phones) and (invited or not _reads_english(lower))
    reachable = bool(handles or phone_sold or wallet)
    # An app readers are asked to find the commenter on, with no id ("add me on LINE
    # for crypto tips", "DM me on Telegram"): the commenter's name is the id.
    app = _APP_INVITE.search(plain) if not what else None
    if app:
        named = app.group("app") or "LINE"
        what = f"a messaging app to be reached on ({named})"
        invited = True
        handles = [*handles, named]
        reachable = True
    # The payload: what a spammer is paid for. A link to a recognised source or to one
    # public post is what readers cite; any other link, a way to be reached or a wallet
    # is something to sell. No payload, no spam. A petition's or a fundraiser's page is
    # what readers share under a story, unless the commenter asks for money for
    # themselves ("help me, I need $500 for my surgery"), or posts the link bare.
    appeals = [link for link in find_links(text) if is_appeal_page(link)]
    shared = bool(appeals) and not _PLEA.search(lower) and len(without_links(plain).split()) >= 4
    linked = not all(is_cited(link) or (shared and link in appeals) for link in find_links(text))
    if shared:
        found.append(Evidence(0.0, f"Links to a petition or fundraiser ({domain_of(appeals[0])})."))
    payload = reachable or linked
    # An e-mail address at a public body ("write to planning@leeds.gov.uk to object") is
    # where readers are told to send objections, not a way to reach the commenter.
    official = bool(handles) and all(
        "@" in handle and is_source(handle.rpartition("@")[2].lower()) for handle in handles
    )
    if invited and not phones and official:
        found.append(Evidence(0.0, f"Gives {what}, an address at a public body or a newsroom."))
    elif invited:
        found.append(Evidence(W_CONTACT, f"Gives {what} {INVITE_REASON}"))
    elif what:
        found.append(Evidence(0.0, f"Gives {what}."))
    if invited and handles and not phones and (_WARNING.search(lower) or _RECOVERED.search(lower)):
        if not official:
            found.append(
                Evidence(
                    W_RECOVERY,
                    f"{RECOVERY_REASON}, as recovery scams do.",
                )
            )
    # A reader warning about a scam ("my uncle lost $40,000 to a crypto investment
    # scam") names the same things as the scam, but offers no way to take part.
    warns = _WARNING.search(lower) is not None and not (what or wallet or domains)
    if wallet or (_CRYPTO.search(lower) and _CRYPTO_OFFER.search(lower) and not warns):
        found.append(
            Evidence(W_CRYPTO_OFFER, "Offers a crypto-currency deal (send, invest, get more back).")
        )
    elif money and _MONEY_OFFER.search(lower):
        # An offer of pay needs a way to take it up: a sum earned with nothing to click,
        # no one to write to and nothing asked of readers is a reader's pay, rent or
        # warning ("I earn 1,900 a month"), not an offer. A prize or a lottery win is an
        # offer whatever it says next ("reply to claim", "text WIN to 80086"), unless a
        # reader is warning about it.
        if payload or asks_something(plain) or (_PRIZE.search(lower) and not warns):
            found.append(Evidence(W_MONEY_OFFER, "Offers money: a sum to win, earn or claim."))
        else:
            found.append(Evidence(0.0, "Names a sum earned, with no way to take it up."))
    if _LOAN.search(lower) and _LOAN_OFFER.search(lower):
        found.append(Evidence(W_LOAN_OFFER, "Offers a loan or credit."))
    own = _OWN_SITE.search(lower)
    if own:
        found.append(Evidence(W_OWN_SITE, f"{OWN_SITE_REASON} (“{own.group(0)}”)."))
    bait = _VOTE_BAIT.search(lower)
    if bait:
        found.append(
            Evidence(
                W_VOTE_BAIT,
                f"{BAIT_REASON} (“{bait.group(0)}”), as comment spam does to be seen.",
            )
        )
    mixed = [] if plain.isascii() else _MIXED_WORD.findall(unicodedata.normalize("NFKC", plain))
    if len(mixed) >= MIXED_SCRIPT_MIN_WORDS:
        shown = ", ".join(dict.fromkeys(mixed[:3]))
        found.append(
            Evidence(
                W_MIXED_SCRIPT,
                f"{MIXED_SCRIPT_REASON} inside words ({shown}), as spam does to slip past filters.",
            )
        )
    if is_repetitive(plain):
        found.append(Evidence(W_REPEATED, "Repeats the same words over and over."))
    if domains and all(is_source(d) for d in domains):
        names = ", ".join(domains[:3])
        if reachable:  # a source cited to dress up a way to be reached
            found.append(Evidence(0.0, f"Links to official or news sources ({names})."))
        else:
            found.append(
                Evidence(W_SOURCES_ONLY, f"Links only to official or news sources ({names}).")
            )
    elif domains:
        unknown = ", ".join(d for d in domains if not is_source(d))
        found.append(Evidence(0.0, f"Links to an unknown site: {unknown}."))
    # A public office's number passed on by a reader ("call the flood line on 0345 …",
    # "Telefon 030 901820" beside the town hall's hours), in a text that offers, sells and
    # asks nothing else, is no invitation to a private contact, in whatever language.
    if phones and not handles and _PUBLIC_OFFICE.search(lower):
        others = [item for item in found if item.weight > 0 and not item.reason.startswith("Gives")]
        if not others and not linked:
            found = [
                Evidence(0.0, f"Gives the number of a public office ({phones[0]}).")
                if item.reason.startswith("Gives")
                else item
                for item in found
            ]
            payload = bool(wallet)
    # A sum alone is not something to sell (rents, bills, fines): the rules above judge
    # what is done with it.
    return found, payload


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


# The score and the verdict ====================================================


@dataclass(frozen=True)
class Thresholds:
    approve_below: float
    spam_at: float
    discard_at: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            settings.BYLINE_SPAM_APPROVE_BELOW,
            settings.BYLINE_SPAM_SPAM_AT,
            settings.BYLINE_SPAM_DISCARD_AT,
        )


@dataclass(frozen=True)
class Assessment:
    """A decision and what the filter needs to remember about it."""

    decision: Decision
    model_version: int | None = None


def fingerprint(submission: Submission) -> str:
    """A salted hash of (article, e-mail, text): matches a moderator's decision to the
    check of the same comment without storing who wrote it."""
    value = "\0".join(
        (
            str(submission.article_id or ""),
            submission.author_email.strip().lower(),
            submission.body,
        )
    )
    return _salted_hash("byline.antispam.fingerprint", value)


def text_key(body: str) -> str:
    """A salted hash of the text alone, normalised, to find the same text elsewhere."""
    return _text_key(body, settings.SECRET_KEY)


@lru_cache(maxsize=16)  # asked by the duplicate signal, then by the check's record
def _text_key(body: str, secret: str) -> str:
    return _salted_hash("byline.antispam.text", duplicate_key(body))


def _salted_hash(salt: str, value: str) -> str:
    """Django's ``salted_hmac(salt, value, algorithm="sha256")``, its key derived once."""
    key = _hmac_key(salt, settings.SECRET_KEY)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _hmac_key(salt: str, secret: str) -> bytes:
    return hashlib.sha256(salt.encode() + secret.encode()).digest()


def is_known_commenter(submission: Submission) -> bool:
    return submission.author_approved_comments > 0 and submission.author_spam_comments == 0


FIRST_COMMENT_TEXT = {
    "publish": "A first comment from an unknown address is published when the filter finds "
    "it genuine, and waits for a moderator when the filter is unsure.",
    "hold": "Every first comment from an unknown address waits for a moderator.",
    "hold-links": "A first comment from an unknown address waits for a moderator when it "
    "has links, and is published when the filter finds it genuine and it has none.",
}


def first_comment_policy() -> tuple[str, str]:
    """The first-comment policy in force (BYLINE_SPAM_FIRST_COMMENT) and what it means,
    in a sentence for the comment-data page."""
    policy = settings.BYLINE_SPAM_FIRST_COMMENT
    return policy, FIRST_COMMENT_TEXT[policy]


def verdict_for(
    score: float,
    submission: Submission,
    limits: Thresholds,
    policy: str = "publish",
    has_links: bool = False,
) -> tuple[Verdict, str]:
    """Map a score to a verdict, with the sentence that says why.

    ``policy`` is the first-comment policy (BYLINE_SPAM_FIRST_COMMENT): what happens to
    a comment from an unknown address that the filter finds genuine."""
    shown = f"Spam score {score:.2f}"
    if limits.discard_at < 1.0 and score >= limits.discard_at:
        return Verdict.DISCARD, f"{shown}, at or above {limits.discard_at:g}: discarded."
    if score >= limits.spam_at:
        return Verdict.SPAM, f"{shown}, at or above {limits.spam_at:g}: filed as spam."
    known = is_known_commenter(submission)
    if score < limits.approve_below:
        under = f"{shown}, under {limits.approve_below:g}"
        if not known and policy == "hold":
            return Verdict.HOLD, (
                f"{under}, but this is the first comment from this address, and the site "
                "holds every first comment for a moderator."
            )
        if not known and policy == "hold-links" and has_links:
            return Verdict.HOLD, (
                f"{under}, but this first comment from this address has links, and the site "
                "holds those for a moderator."
            )
        return Verdict.APPROVE, f"{under}: published."
    between = f"{shown}, between {limits.approve_below:g} and {limits.spam_at:g}"
    if known:
        return Verdict.APPROVE, f"{between}: the filter is unsure, but the commenter is known."
    return Verdict.HOLD, (
        f"{between}: the filter is unsure, and this is the first comment from this address, "
        "so it waits for a moderator."
    )


def _quote(words: list[str]) -> str:
    return ", ".join(f"“{word}”" for word in words)


@dataclass(frozen=True)
class TextReading:
    """What the text alone says: the model's log-odds (damped for a short text with
    nothing to sell), its explanation, and the evidence read from the text."""

    logit: float
    explanation: Explanation
    found: tuple[Evidence, ...]
    domains: tuple[str, ...]


def read_text(model: TextModel, body: str) -> TextReading:
    """Score a text with the model and the text's own evidence (no database)."""
    explanation = model.explain(body)
    domains = link_domains(body)
    said, payload = read(body, domains)
    found = (
        *links(domains),
        *cheap_domains(domains),
        *sales_domains(domains),
        *lookalikes(domains),
        *disguises(body),
        *home_pages(body),
        *anchors(body),
        *said,
    )
    found = (*found, *citation(body, domains, found))
    logit = explanation.logit
    # The cap bounds what the trained model says; what moderators taught this site
    # (bounded on its own) is added on top, so a site can still teach a kind of spam
    # that sells nothing the rules can see.
    trained = logit - explanation.learned
    if trained > SELLS_NOTHING_MAX_LOGIT and not payload:
        if not any(item.weight > 0 for item in found) and not asks_something(clean(body)):
            logit = SELLS_NOTHING_MAX_LOGIT + explanation.learned
            found = (*found, SELLS_NOTHING)
    elif trained < VOTE_BAIT_MIN_LOGIT and any(i.reason.startswith(BAIT_REASON) for i in found):
        logit = VOTE_BAIT_MIN_LOGIT + explanation.learned
    elif trained < OWN_SITE_MIN_LOGIT and any(
        i.reason.startswith(PLUG_REASONS)
        or (payload and i.reason.startswith(ANCHOR_REASON))
        or (i.weight > 0 and i.reason.endswith(INVITE_REASON))
        for i in found
    ):
        logit = OWN_SITE_MIN_LOGIT + explanation.learned
    logit += sum(item.weight for item in found)
    if any(item.reason.startswith(CITATION_REASON) for item in found):
        logit = min(logit, CITATION_MAX_LOGIT + max(explanation.learned, 0.0))
    elif names_one_site(body, domains, found) and logit > CITATION_MAX_LOGIT:
        logit = CITATION_MAX_LOGIT + max(explanation.learned, 0.0)
        found = (*found, Evidence(0.0, f"{ONE_SITE_REASON}: held for a moderator."))
    return TextReading(logit, explanation, found, tuple(domains))


def names_one_site(body: str, domains: Sequence[str], found: Sequence[Evidence]) -> bool:
    """A few words that name one site, with no evidence of spam but, at most, that readers
    are sent to its home page."""
    return (
        len(set(domains)) == 1
        and len(body.split()) <= ONE_SITE_MAX_WORDS
        and all(item.weight <= 0 or item.reason.startswith(HOME_PAGE_REASON) for item in found)
    )


def assess(submission: Submission) -> Assessment:
    """Score one comment with the local model and every signal."""
    if submission.honeypot_filled:
        reason = "The hidden honeypot field was filled in: only bots see it."
        return Assessment(Decision(Verdict.DISCARD, (reason,), 1.0))
    version, model = current_model()
    reading = read_text(model, submission.body)
    explanation = reading.explanation
    leaning = "spam" if explanation.probability >= 0.5 else "genuine"
    words = explanation.toward_spam if leaning == "spam" else explanation.toward_ham
    model_reason = (
        f"The text reads as {leaning} ({explanation.probability:.0%} spam-like"
        f" to model v{version or 'shipped'})"
        + (f"; words that weighed most: {_quote(words)}." if words else ".")
    )
    domains = list(reading.domains)
    found = [
        *reading.found,
        *spam_domains(domains, submission.author_url),
        *timing(submission, settings.BYLINE_SPAM_MIN_SECONDS),
        *history(submission),
        *duplicates(submission, text_key(submission.body), clean(submission.body)),
    ]
    logit = reading.logit + sum(item.weight for item in found[len(reading.found) :])
    logit = max(-MAX_LOGIT, min(MAX_LOGIT, logit))
    score = 1.0 / (1.0 + math.exp(-logit))
    verdict, summary = verdict_for(
        score,
        submission,
        Thresholds.from_settings(),
        settings.BYLINE_SPAM_FIRST_COMMENT,
        bool(domains or link_domains("", submission.author_url)),
    )
    reasons = (model_reason, *(item.reason for item in found), summary)
    return Assessment(Decision(verdict, reasons, round(score, 4)), version)


def current_model() -> tuple[int | None, TextModel]:
    """The latest model with all it has learned, and its version: this process's copy
    when nothing changed since it was last checked (``generation``: one Redis GET), or
    when the database holds nothing newer (one indexed query), else ``store`` reloads."""
    # Imported on first use: the model brings numpy, SciPy and scikit-learn
    # (about 100 MB), which an app worker that only serves pages never needs.
    from byline.antispam import generation, store
    from byline.antispam.models import LATEST_MODEL_SQL, Classifier

    loaded = store.loaded
    seen = model_generation()  # read before the database is asked
    checked = generation.checked
    if (
        loaded is not None
        and seen is not None
        and checked is not None
        and checked[0] is loaded
        and checked[1] == seen
        and time.monotonic() - checked[2] < generation.RECHECK_SECONDS
    ):
        return loaded[0], loaded[3]
    if loaded is not None:
        try:
            with connections[Classifier.objects.db].cursor() as cursor:
                cursor.execute(LATEST_MODEL_SQL)
                row = cursor.fetchone()
        except DatabaseError:
            row = None  # store.current() says so, and falls back
        if row is not None and (row[0], row[1], row[2] or 0) == loaded[:3]:
            generation.checked = (loaded, seen, time.monotonic()) if seen is not None else None
            return loaded[0], loaded[3]
    version, model = store.current()
    now_loaded = store.loaded
    if version is not None and seen is not None and now_loaded is not None:
        if now_loaded[3] is model:
            generation.checked = (now_loaded, seen, time.monotonic())
    return version, model


def model_generation() -> bytes | str | None:
    """The spam model's generation as Redis holds it (``generation``: one GET), or None:
    no Redis, or it cannot be read. A generation Redis lost (a flush, a restart) is
    started anew."""
    from byline.antispam.generation import KEY

    client = redis_client()
    if client is None:
        return None
    try:
        found = client.get(KEY)
        if found is None:
            token = secrets.token_hex(8).encode()
            if client.set(KEY, token, nx=True):
                return token
            found = client.get(KEY)
    except redis.RedisError:
        return None
    return found


def warm() -> bool:
    """Load the spam model into this process now, rather than on the first comment.

    For an app worker at start: imports numpy, SciPy and scikit-learn, reads the latest
    model and what it learned (the shipped one when the database cannot be read), and
    scores one text, so the first reader's comment does not wait seconds for it.
    Cheap when already done (one Redis GET, or one indexed query: ``current_model``);
    never raises: a failure is logged and the first check loads the model as before.
    False when nothing was warmed (another backend is configured, or it failed)."""
    try:
        if not isinstance(get_backend(), LocalFilterBackend):
            return False
        _, model = current_model()
        read_text(model, "Warming the spam filter: https://example.org, 0800 555 0199, $5.")
    except Exception:
        logger.exception("Could not warm the spam model; the first check will load it.")
        return False
    return True


class LocalFilterBackend(SpamBackend):
    """The on-site filter: a learned text model plus signals, explained in words."""

    name = "local"

    def assess(self, submission: Submission) -> Assessment:
        return assess(submission)

    def check(self, submission: Submission) -> Decision:
        return self.assess(submission).decision

    def train(self, submission: Submission, label: Label) -> None:
        from byline.antispam import store

        if not submission.body.strip():
            return
        store.learn(submission.body, Label(label) == Label.SPAM)

    def describe_data_use(self) -> str:
        from byline.antispam.data_use import kept_on_site

        return (
            "Comments are checked on this site by Byline's own filter; nothing is sent "
            f"elsewhere. {kept_on_site()}"
        )


@lru_cache(maxsize=1)
def get_backend() -> SpamBackend:
    """The configured backend (BYLINE_SPAM_BACKEND), built once per process."""
    backend_class: type[SpamBackend] = import_string(settings.BYLINE_SPAM_BACKEND)
    return backend_class()


def check(submission: Submission) -> Decision:
    """Decide what happens to a new comment, with reasons a moderator can read.

    Never raises: if the backend fails the comment is held, with that as the reason.
    """
    return check_submission(get_backend(), submission)


def encodable_submission(submission: Submission) -> Submission:
    """The submission with text fields a broken client mangled made safe to hash and store."""
    names = ("body", "author_name", "author_email", "author_url", "user_agent", "referrer")
    changed: dict[str, Any] = {}
    for name in names:
        value = getattr(submission, name)
        safe = encodable(value)
        if safe is not value:
            changed[name] = safe
    return dataclasses.replace(submission, **changed) if changed else submission


def check_submission(backend: SpamBackend, submission: Submission) -> Decision:
    """Ask the backend, never fail (a failure holds the comment), record the check."""
    submission = encodable_submission(submission)
    try:
        assess_with = getattr(backend, "assess", None)
        if assess_with is not None:
            assessment: Assessment = assess_with(submission)
        else:
            assessment = Assessment(backend.check(submission))
    except Exception:
        logger.exception("Spam backend %s failed; holding the comment.", backend.name)
        assessment = Assessment(Decision(Verdict.HOLD, (FAILED_REASON,)))
    decision = assessment.decision
    if not decision.backend:
        decision = Decision(decision.verdict, decision.reasons, decision.score, backend.name)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed write leaves the caller's intact
                _record(submission, decision, assessment.model_version)
        else:
            _record(submission, decision, assessment.model_version)  # one statement
    except DatabaseError as error:
        logger.warning("Could not record a spam check: %s", error)
    return decision


def _record(submission: Submission, decision: Decision, model_version: int | None) -> None:
    """Store one check: one INSERT in plain SQL, done for every new comment."""
    from byline.antispam.models import RECORD_CHECK_SQL, CheckLog

    connection = connections[CheckLog.objects.db]
    params = [
        fingerprint(submission),
        text_key(submission.body),
        submission.article_id,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        decision.backend[:40],
        str(decision.verdict),
        decision.score,
        json.dumps(list(decision.reasons)),
        model_version,
    ]
    with connection.cursor() as cursor:
        cursor.execute(RECORD_CHECK_SQL, params)
