"""What the filter reads in a comment's text: normalised words, links and their domains.

Pure functions, no database: the pipeline, the model and the benchmark share them.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from urllib.parse import urlsplit

# Characters that carry no meaning for the filter but can split or disguise words
# (zero-width spaces and joiners, the byte-order mark, soft hyphens).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_HAS_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_TAG = re.compile(r"<[^>]{0,500}>")
# A link: a URL with a scheme, anything starting with www., or a bare host name
# ending in a common top-level domain. A host spaced out to dodge filters
# ("example . com", "www.youtube. com") is joined first (``_joined``), but only before a
# generic top-level domain in lower case: "… de schrijver. De cijfers …" ends a sentence.
_TLDS = (
    "com|net|org|info|biz|io|co|me|tv|us|uk|de|ru|cn|in|ly|gl|gd|be|cc|tk|ml|ga|cf|gq|"
    "xyz|top|site|online|club|shop|store|app|link|click|live|fr|es|it|nl|pl|br|au|ca|"
    "gov|edu|int|eu|ie|ch|at|se|dk|fi|pt|jp|mx|za|ng|ke|nz|gr|tr|ua|ph|pk|sg|hk|ae"
)
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*\.(?:"
    + _TLDS
    + r")\b(?:/[^\s<>\"']*)?"
)
_SPACED_DOT = re.compile(
    r"(?<=[a-z0-9])(?: +\. *|\. +)(?=(?:com|net|org|info|biz|xyz|io|ru|tk|cn)\b)"
)
# Punctuation that ends a sentence or closes a bracket around a link, not part of it.
_TRAILING = ".,;:!?)]}>*'\"»”’"
_LEADING = "([{<*'\"«“‘"
_HREF = re.compile(r"(?i)\bhref\s*=\s*[\"']?\s*((?:https?:)?//[^\s\"'<>]+|www\.[^\s\"'<>]+)")
_HOST_OK = re.compile(r"^[^\s()\[\]{}<>,;!'\"*|\\]+$")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# The shapes that mark contact scams and money offers, read before digits become 0.
# A phone number: 7 to 15 digits, optionally with a leading + and the usual separators.
_PHONE = re.compile(
    r"(?<![\w+$€£.,/:-])(?:\+\s?)?(?:\(\d{1,5}\)|\d{1,15})"
    r"(?:[ .-]{1,2}(?:\(\d{1,5}\)|\d{1,6})|\s?\(\d{1,5}\)){1,6}(?![\w,.]?\d)"
    r"|(?<![\w+$€£.,/:-])\+?\d{7,15}(?![\w,.]?\d)"
)
_EMAIL = re.compile(r"(?i)\b[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24}\b")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{3,32}\b")
_WALLET = re.compile(r"\b(?:0x[0-9a-fA-F]{40}|(?:bc1|[13])[a-km-zA-HJ-NP-Z0-9]{25,59})\b")
_CURRENCY = "$€£¥₹₽₦"
_AMOUNT = re.compile(
    r"(?i)(?:[" + _CURRENCY + r"]\s?\d[\d,.]*(?:\s?(?:k|m|bn|million|billion)\b)?"
    r"|\b\d[\d,.]*\s?(?:[" + _CURRENCY + r"]|(?:usd|eur|gbp|usdt|btc|eth|dollars?|euros?|"
    r"pounds?|bitcoins?|rupees?|naira|reais)\b))"
)
# Sites whose links a genuine news commenter cites: governments, public bodies,
# universities, and long-established news organisations.
_OFFICIAL_SUFFIXES = (
    ".gov",
    ".mil",
    ".int",
    ".edu",
    ".europa.eu",
    ".gc.ca",
    ".ac.uk",
    ".nhs.uk",
    ".police.uk",
    ".parliament.uk",
    ".un.org",
    ".judiciary.uk",
)
_OFFICIAL_LABELS = ("gov", "gob", "gouv", "govt", "go", "edu", "ac", "mil", "gv")
NEWS_SITES = frozenset(
    {
        "bbc.co.uk",
        "bbc.com",
        "reuters.com",
        "apnews.com",
        "theguardian.com",
        "nytimes.com",
        "washingtonpost.com",
        "wsj.com",
        "ft.com",
        "economist.com",
        "npr.org",
        "pbs.org",
        "cbc.ca",
        "abc.net.au",
        "aljazeera.com",
        "lemonde.fr",
        "spiegel.de",
        "zeit.de",
        "faz.net",
        "sueddeutsche.de",
        "elpais.com",
        "elmundo.es",
        "corriere.it",
        "repubblica.it",
        "folha.uol.com.br",
        "globo.com",
        "lefigaro.fr",
        "liberation.fr",
        "france24.com",
        "dw.com",
        "euronews.com",
        "politico.com",
        "politico.eu",
        "bloomberg.com",
        "cnn.com",
        "nbcnews.com",
        "cbsnews.com",
        "abcnews.go.com",
        "usatoday.com",
        "latimes.com",
        "theatlantic.com",
        "newyorker.com",
        "independent.co.uk",
        "telegraph.co.uk",
        "thetimes.co.uk",
        "irishtimes.com",
        "rte.ie",
        "nos.nl",
        "svt.se",
        "nrk.no",
        "yle.fi",
        "thehindu.com",
        "hindustantimes.com",
        "scmp.com",
        "japantimes.co.jp",
        "nhk.or.jp",
        "smh.com.au",
        "theglobeandmail.com",
        "propublica.org",
        "wikipedia.org",
        # More news organisations: national broadcasters, agencies and papers of record.
        "afp.com",
        "efe.com",
        "ansa.it",
        "dpa.com",
        "tagesschau.de",
        "zdf.de",
        "ard.de",
        "orf.at",
        "srf.ch",
        "rts.ch",
        "rtve.es",
        "rai.it",
        "francetvinfo.fr",
        "radiofrance.fr",
        "lesechos.fr",
        "nzz.ch",
        "derstandard.at",
        "handelsblatt.com",
        "welt.de",
        "lavanguardia.com",
        "publico.pt",
        "rtp.pt",
        "dn.se",
        "politiken.dk",
        "dr.dk",
        "aftenposten.no",
        "hs.fi",
        "volkskrant.nl",
        "nrc.nl",
        "lesoir.be",
        "vrt.be",
        "rtbf.be",
        "gazeta.pl",
        "tvn24.pl",
        "polskieradio.pl",
        "ukrinform.ua",
        "pravda.com.ua",
        "kyivindependent.com",
        "meduza.io",
        "hurriyet.com.tr",
        "trthaber.com",
        "haaretz.com",
        "timesofisrael.com",
        "arabnews.com",
        "ndtv.com",
        "indianexpress.com",
        "timesofindia.indiatimes.com",
        "asahi.com",
        "mainichi.jp",
        "yomiuri.co.jp",
        "nikkei.com",
        "caixinglobal.com",
        "xinhuanet.com",
        "yna.co.kr",
        "straitstimes.com",
        "channelnewsasia.com",
        "abc.es",
        "clarin.com",
        "lanacion.com.ar",
        "eltiempo.com",
        "estadao.com.br",
        "uol.com.br",
        "news24.com",
        "nation.africa",
        "allafrica.com",
        "stuff.co.nz",
        "rnz.co.nz",
        "skynews.com",
        "news.sky.com",
        "itv.com",
        "channel4.com",
        "theconversation.com",
        "vox.com",
        "axios.com",
        "time.com",
        "newsweek.com",
        "foxnews.com",
        "msnbc.com",
        "csmonitor.com",
        "thehill.com",
        "marketwatch.com",
        "cnbc.com",
        "forbes.com",
        "fortune.com",
        "businessinsider.com",
        "voanews.com",
        "rferl.org",
        "bellingcat.com",
        "icij.org",
        "occrp.org",
        # Fact-checkers.
        "fullfact.org",
        "snopes.com",
        "politifact.com",
        "factcheck.org",
        "correctiv.org",
        "maldita.es",
        "newtral.es",
        "pagellapolitica.it",
        "lupa.uol.com.br",
        "aosfatos.org",
        "boomlive.in",
        "africacheck.org",
        # Research: journals, preprints, data and the records of science.
        "doi.org",
        "nature.com",
        "science.org",
        "sciencedirect.com",
        "springer.com",
        "wiley.com",
        "thelancet.com",
        "nejm.org",
        "bmj.com",
        "jamanetwork.com",
        "cell.com",
        "pnas.org",
        "plos.org",
        "arxiv.org",
        "biorxiv.org",
        "medrxiv.org",
        "ssrn.com",
        "jstor.org",
        "ourworldindata.org",
        "cochranelibrary.com",
        "ipcc.ch",
        # International organisations not under .int.
        "un.org",
        "imf.org",
        "worldbank.org",
        "oecd.org",
        "wto.org",
        "ilo.org",
        "unesco.org",
        "unicef.org",
        "unhcr.org",
        "unep.org",
        "undp.org",
        "wfp.org",
        "fao.org",
        "iea.org",
        "icrc.org",
        "bis.org",
        "amnesty.org",
        "hrw.org",
        "transparency.org",
        "msf.org",
        "redcross.org",
        "ifrc.org",
        "iaea.org",
        "icj-cij.org",
        "icc-cpi.int",
        "coe.int",
        "osce.org",
        "nato.int",
        # National statistics offices, central banks, parliaments and courts whose
        # addresses carry no public-sector label (gov, gouv, gob ...).
        "destatis.de",
        "insee.fr",
        "ine.es",
        "ine.pt",
        "istat.it",
        "cbs.nl",
        "statbel.fgov.be",
        "scb.se",
        "ssb.no",
        "dst.dk",
        "stat.fi",
        "cso.ie",
        "statistik.at",
        "bfs.admin.ch",
        "ksh.hu",
        "czso.cz",
        "insse.ro",
        "elstat.gr",
        "ukrstat.gov.ua",
        "rosstat.gov.ru",
        "turkstat.gov.tr",
        "stats.govt.nz",
        "bankofengland.co.uk",
        "bundesbank.de",
        "banque-france.fr",
        "bde.es",
        "bancaditalia.it",
        "dnb.nl",
        "riksbank.se",
        "snb.ch",
        "boj.or.jp",
        "rbi.org.in",
        "bcb.gov.br",
        "bundestag.de",
        "bundesrat.de",
        "bundesregierung.de",
        "bundesverfassungsgericht.de",
        "assemblee-nationale.fr",
        "senat.fr",
        "elysee.fr",
        "conseil-constitutionnel.fr",
        "vie-publique.fr",
        "congreso.es",
        "senado.es",
        "boe.es",
        "lamoncloa.gob.es",
        "camera.it",
        "senato.it",
        "governo.it",
        "tweedekamer.nl",
        "rijksoverheid.nl",
        "riksdagen.se",
        "regeringen.se",
        "folketinget.dk",
        "stortinget.no",
        "eduskunta.fi",
        "oireachtas.ie",
        "parlament.gv.at",
        "parlament.ch",
        "admin.ch",
        "sejm.gov.pl",
        "rada.gov.ua",
        "president.gov.ua",
        "tbmm.gov.tr",
        "knesset.gov.il",
        "aph.gov.au",
        "parl.ca",
        "ourcommons.ca",
        "scotus.gov",
        "supremecourt.uk",
        "bailii.org",
        "courtlistener.com",
        "legislation.gov.uk",
        "curia.europa.eu",
        "echr.coe.int",
        "nhs.uk",
        "ecdc.europa.eu",
        "ema.europa.eu",
    }
)

# Services whose links hide where they lead.
SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "goo.gl",
        "t.co",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "adf.ly",
        "cutt.ly",
        "rb.gy",
        "shorturl.at",
        "tiny.cc",
        "rebrand.ly",
        "bl.ink",
        "t.ly",
        "s.id",
        "v.gd",
        "lnkd.in",
        "shorte.st",
        "clck.ru",
    }
)

# Texts longer than this are scored on their beginning and end only: enough to judge,
# and scoring time stays bounded whatever is pasted in.
MAX_MODEL_CHARS = 2000
# Marker words the model reads in place of what they stand for (not secrets).
URL_TOKEN = "zzurl"  # noqa: S105
SOURCE_TOKEN = "zzsource"  # noqa: S105  (a link to an official or news source)
SHOUTING_TOKEN = "zzshout"  # noqa: S105
EXCLAIM_TOKEN = "zzexclaim"  # noqa: S105
PHONE_TOKEN = "zzphone"  # noqa: S105
EMAIL_TOKEN = "zzemail"  # noqa: S105
HANDLE_TOKEN = "zzhandle"  # noqa: S105
WALLET_TOKEN = "zzwallet"  # noqa: S105
MONEY_TOKEN = "zzmoney"  # noqa: S105
REPEAT_TOKEN = "zzrepeat"  # noqa: S105
MARKER_WORDS = {
    URL_TOKEN: "a link",
    SOURCE_TOKEN: "a link to an official or news source",
    SHOUTING_TOKEN: "shouting in capitals",
    EXCLAIM_TOKEN: "many exclamation marks",
    PHONE_TOKEN: "a phone number",
    EMAIL_TOKEN: "an e-mail address",
    HANDLE_TOKEN: "a messaging handle",
    WALLET_TOKEN: "a crypto wallet address",
    MONEY_TOKEN: "a sum of money",
    REPEAT_TOKEN: "the same words over and over",
}


def encodable(text: str) -> str:
    """The text with what UTF-8 or PostgreSQL cannot hold (lone surrogates, NUL)
    replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def clean(text: str) -> str:
    """The text a person sees: entities decoded, tags and invisible characters removed."""
    if _HAS_INVISIBLE.search(text):  # rare: translate() reads every character
        text = text.translate(_INVISIBLE)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return text


def _joined(text: str) -> str:
    """The text with hosts spaced out around their last dot joined ("example. com")."""
    return _SPACED_DOT.sub(".", text) if "." in text else text


def bounded(text: str) -> str:
    if len(text) <= MAX_MODEL_CHARS:
        return text
    half = MAX_MODEL_CHARS // 2
    return text[:half] + " " + text[-half:]


def _trimmed(link: str) -> tuple[str, str]:
    """A matched link without the punctuation around it, and that trailing punctuation.

    "(www.example.org)." is the link "www.example.org"; a closing bracket stays when the
    link opened one itself (".../Foo_(bar)")."""
    end = len(link)
    while end and link[end - 1] in _TRAILING:
        closing = link[end - 1]
        opening = {")": "(", "]": "[", "}": "{"}.get(closing)
        if opening and link[:end].count(opening) >= link[:end].count(closing):
            break
        end -= 1
    return link[:end].lstrip(_LEADING), link[end:]


def find_links(text: str) -> list[str]:
    """Every link-like string in the text, in order, without punctuation around it."""
    return list(_links_in(text))


# The few functions a check asks more than once of the same text (the signals and the
# model read it separately) remember their last answers: a long comment is read once.
@functools.lru_cache(maxsize=64)
def _links_in(text: str) -> tuple[str, ...]:
    found = []
    text = bounded(text)
    if "href" in text.lower():  # a link inside a tag: clean() would remove it with the tag
        for match in _HREF.finditer(text):
            link = _trimmed(match.group(1))[0]
            found.append("http:" + link if link.startswith("//") else link)
    text = _joined(clean(text))
    if "@" in text:
        text = _EMAIL.sub(" ", text)  # an e-mail address is not a link to its domain
    for match in _LINK.finditer(text):
        link = _trimmed(match.group(0))[0]
        if link:
            found.append(link)
    return tuple(found)


def domain_of(link: str) -> str:
    """The host name a link points to, lower-case, without ``www.``; "" if none."""
    link = link.strip().lower()
    if "://" not in link:
        link = "http://" + link.replace(" ", "")
    try:
        host = urlsplit(link).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    if not _HOST_OK.match(host):
        return ""
    return host[:253]


def is_source(domain: str) -> bool:
    """Whether a domain belongs to a government, public body, university or a
    long-established news organisation: what genuine commenters cite."""
    if not domain:
        return False
    if any(domain.endswith(s) or domain == s[1:] for s in _OFFICIAL_SUFFIXES):
        return True
    labels = domain.split(".")
    # gov.uk, gouv.fr, gob.es, gov.br, go.jp, ac.uk, edu.au: a public second-level label.
    if len(labels) >= 3 and labels[-2] in _OFFICIAL_LABELS:
        return True
    if len(labels) == 2 and labels[0] in ("gov", "gouv", "gob"):
        return True
    return any(domain == site or domain.endswith("." + site) for site in NEWS_SITES)


def link_domains(text: str, author_url: str = "") -> list[str]:
    """The distinct domains linked from the text (and the author's URL), in order."""
    links = find_links(text)
    if author_url:
        links.append(author_url)
    seen: dict[str, None] = {}
    for link in links:
        domain = domain_of(link)
        if domain and "." in domain:
            seen.setdefault(domain, None)
    return list(seen)


def _link_for_model(match: re.Match[str]) -> str:
    link, after = _trimmed(match.group(0))
    domain = domain_of(link)
    kind = SOURCE_TOKEN if is_source(domain) else URL_TOKEN
    return f" {kind} {domain} {after}"


# Dates and spans of years ("2024-03-02", "12/05/2023", "2018-2019") are not phones.
_DATE = re.compile(
    r"\(?(?:(?:19|20)\d\d\s?[-–/.]\s?(?:\d\d|(?:19|20)\d\d)(?:[-/.]\d\d)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d\d)\)?"
)


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    return 7 <= digits <= 15 and not _DATE.fullmatch(candidate.strip())


def _phone_for_model(match: re.Match[str]) -> str:
    return f" {PHONE_TOKEN} " if _is_phone(match.group(0)) else match.group(0)


def phone_numbers(text: str) -> list[str]:
    """The phone-number-shaped strings in the text (7 to 15 digits), links aside."""
    return list(_phones_in(text))


@functools.lru_cache(maxsize=64)
def _phones_in(text: str) -> tuple[str, ...]:
    text = clean(bounded(text))
    if len(_DIGIT.findall(text)) < 7:
        return ()  # too few digits for a phone number: most comments, at once
    text = _LINK.sub(" ", _joined(text))
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    return tuple(m.group(0).strip() for m in _PHONE.finditer(text) if _is_phone(m.group(0)))


# An e-mail address spelt out so that filters miss it ("name at gmail dot com",
# "name [at] mail [dot] com"): a way to be reached that the writer took pains to hide.
_SPELT_EMAIL = re.compile(
    r"(?i)\b[\w.+-]{2,64}\s*(?:\[\s*at\s*\]|\(\s*at\s*\)|\{at\}|\s+at\s+)\s*[a-z0-9-]{2,63}"
    r"\s*(?:\[\s*dot\s*\]|\(\s*dot\s*\)|\{dot\}|\s+dot\s+)\s*"
    r"(?:com|net|org|info|biz|io|co|me|ru|de|uk|fr|es|it|nl|pl|br|in|ng|xyz|online)\b"
)


def contact_handles(text: str) -> list[str]:
    """E-mail addresses (also spelt out: "name at mail dot com") and messaging handles
    (@name) in the text."""
    text = clean(bounded(text))
    spelt = _SPELT_EMAIL.findall(text) if "dot" in text.lower() else []
    if "@" not in text:
        return spelt
    emails = _EMAIL.findall(text)
    handles = _HANDLE.findall(_EMAIL.sub(" ", text))
    return [*emails, *spelt, *handles]


def has_money(text: str) -> bool:
    """Whether the text names a sum of money ("$500", "20,000 euros", "0.1 BTC")."""
    return _AMOUNT.search(text) is not None


def has_wallet(text: str) -> bool:
    """Whether the text holds something shaped like a crypto-currency wallet address."""
    return _WALLET.search(text) is not None


# Words that say nothing to a moderator: the commonest function words of English and
# of the languages news readers write in most, and the pieces of a link's address.
# (Not scikit-learn's list: importing it would load scikit-learn in every web worker.)
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also get got may might must shall us let lets one
    com net org www http https html htm php
    s t d ll m re ve im dont doesnt didnt isnt wasnt cant wont thats its
    el la los las un una y o de del en que por para con es se al lo su
    der die das und ist ein eine zu den dem mit von im auf für nicht sich
    le les une et est des du au aux pour pas qui sur dans ce il elle
    o os um uma e da do dos das em no na com não os as
    il lo gli di che per non con
    и в не на что с по это я
    """.split()
)


@functools.lru_cache(maxsize=16384)
def is_telling(token: str) -> bool:
    """Whether a word, or a pair of words, means something to a moderator: not a stop
    word, a digit placeholder ("0000") or a single character. A marker word is telling
    (it is shown as what it stands for: "a phone number")."""
    words = token.split(" ")
    if any(not word.strip("0") or len(word) < 2 for word in words):
        return False
    return not all(word in STOPWORDS for word in words)


@functools.lru_cache(maxsize=64)
def is_repetitive(text: str) -> bool:
    """Six words or more, of which at most four in ten are different."""
    words = _WORD.findall(text.casefold())
    return len(words) >= 6 and len(set(words)) <= 0.4 * len(words)


def for_model(text: str) -> str:
    """The text as the learned model reads it.

    A link becomes a marker word (one for official and news sources, one for any other
    site) followed by the host it points to (its path and query, mostly noise, are
    dropped). What marks a contact scam or a money offer becomes a marker word before
    digits are read: a phone number, an e-mail address, a messaging handle, a crypto
    wallet address, a sum of money. The remaining digits become 0 (a year or a count
    says little), and shouting or a volley of exclamation marks add a marker word each.
    """
    text = clean(bounded(text))
    letters = list(filter(str.isalpha, text))
    markers = []
    if len(letters) >= 12 and sum(map(str.isupper, letters)) / len(letters) > 0.5:
        markers.append(SHOUTING_TOKEN)
    if text.count("!") >= 3:
        markers.append(EXCLAIM_TOKEN)
    if is_repetitive(text):
        markers.append(REPEAT_TOKEN)
    if "@" in text:
        text = _EMAIL.sub(f" {EMAIL_TOKEN} ", text)
    text = _LINK.sub(_link_for_model, _joined(text))
    if "@" in text:
        text = _HANDLE.sub(f" {HANDLE_TOKEN} ", text)
    digits = len(_DIGIT.findall(text))
    if digits:  # most comments have none: skip what needs them
        text = _WALLET.sub(f" {WALLET_TOKEN} ", text)
        text = _AMOUNT.sub(f" {MONEY_TOKEN} ", text)
        if digits >= 7:
            text = _PHONE.sub(_phone_for_model, text)
        text = _DIGIT.sub("0", text)
    text = text.lower()
    if markers:
        text = text + " " + " ".join(markers)
    return text


def duplicate_key(text: str) -> str:
    """The text reduced so that trivial changes (case, spacing, accents) match."""
    text = unicodedata.normalize("NFKC", clean(text)).casefold()
    return _SPACE.sub(" ", text).strip()
