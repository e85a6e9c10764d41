"""The text model: what it reads in a comment's text, and how it scores it.

What the model reads (the first part) is also what the check's signals read: the text
normalised, its links and their domains, phone numbers, handles, sums and wallets, each
turned into a marker word before digits are read. Pure functions, no database, and no
numpy: the pipeline imports them in every app worker, and a worker that only serves pages
must not load numpy, SciPy or scikit-learn (about 100 MB). Those are imported by the
functions of the second part, which only run once a comment is checked.

The model: hashed character and word n-grams, a linear learner. Hashing keeps the model
a fixed size with no vocabulary to store. Logistic regression trained by stochastic
gradient descent (scikit-learn's ``SGDClassifier``) reads the hashed features; its
log-odds are calibrated on predictions it makes for examples it was not trained on.
Moderators' decisions are learned on top, one bounded step at a time, in weights kept
apart. The model is saved as plain arrays (never a pickle), so a stored copy can be read
without running code from the database.
"""

from __future__ import annotations

import functools
import html
import io
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import SGDClassifier

# What the model reads =================================================================

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
# A link ends at a space, a quote or a bracket of markup, and where Chinese, Japanese or
# Korean text runs on after it without a space ("www.example.jp）によると").
_LINK_CHARS = "[^\\s<>\"'\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]"
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)" + _LINK_CHARS + "+"
    r"|\b[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*\.(?:"
    + _TLDS
    + r")\b(?:/"
    + _LINK_CHARS
    + "*)?"
)
# A dot written so that the host does not read as a link ("example[.]com", "(dot)").
_DEFANGED = re.compile(
    r"(?i)(?<=[a-z0-9])(?:\[(?:\.|dot)\]|\((?:\.|dot)\)|\{(?:\.|dot)\})(?=[a-z0-9])"
)
# A run of full-width letters, digits and ". - / :" or of circled or squared letters.
_WIDE = re.compile("[\uff0d-\uff1a\uff21-\uff3a\uff41-\uff5a\u24b6-\u24e9\U0001f130-\U0001f189]+")
_SPACED_DOT = re.compile(
    r"(?<=[a-z0-9])(?: +\. *|\. +)(?=(?:com|net|org|info|biz|xyz|io|ru|tk|cn)\b)"
)
# A host spelt out in words so that it does not read as a link ("replicahub dot net",
# "www dot bestloans4u dot com", "abnehmen-jetzt punkt de"), read by ``_spelt_hosts``
# in one pass over the words. Not a spelt-out e-mail's domain (``_SPELT_EMAIL`` reads
# "name at mail dot com"), nor "the dot com bubble" or "the early dot com years": the
# word before "dot" must be no common word, and the one after no word that makes
# "dot com" a noun. A top-level domain that is also a word ("a red dot at the top",
# "green dot me") ends a host only after two labels or one with a digit or a hyphen
# ("bbc dot co dot uk", "win-big dot me").
_SPELT_TLDS = (
    "com|net|org|info|biz|io|co|uk|de|at|ch|fr|it|nl|pl|ru|xyz|online|site|shop|store|club|"
    "top|live|app|me|tv|us|eu"
)
_SPELT_TLD = re.compile(r"(?i)(?:" + _SPELT_TLDS + r")\b")
_WORD_TLDS = frozenset("at me it us co de tv eu top live app shop store club site online".split())
_SPELT_LABEL = re.compile(r"(?i)[a-z0-9][a-z0-9-]{0,62}")
_SPELT_FIRST = re.compile(r"(?i)(?<![\w@.-])[a-z0-9][a-z0-9-]{0,62}\Z")
_DOT_COM_NOUN = re.compile(
    r"(?i)(?:bubble|boom|era|crash|bust|days|years|age|mania|compan(?:y|ies)|firms?|"
    r"startups?|stocks?|millionaires?|collapse|burst|revolution|frenzy|craze|fever|"
    r"framework)\b"
)
_SPELT_AT_WORDS = frozenset(("at", "[at]", "(at)", "{at}", "@"))
_SPELT_WORD = re.compile(r"\S+")
# Spelt-out hosts are looked for in this many characters at most (a comment is shorter).
MAX_SPELT_CHARS = 20_000
_NOT_A_HOST = frozenset(
    "the a an this that these those its his her their our my your early late whole old "
    "first big new any every of and or at in on to by for from with is was no one".split()
)
# Punctuation that ends a sentence or closes a bracket around a link, not part of it.
_TRAILING = ".,;:!?)]}>*'\"»”’"
_LEADING = "([{<*'\"«“‘"
_HREF = re.compile(r"(?i)\bhref\s*=\s*[\"']?\s*((?:https?:)?//[^\s\"'<>]+|www\.[^\s\"'<>]+)")
_HOST_OK = re.compile(r"^[^\s()\[\]{}<>,;!'\"*|\\]+$")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORD_RUN = re.compile(r"\w+")
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
    r"pounds?|bitcoins?|rupees?|naira|reais|d[oó]lares|dollari|dolar\w*)\b))"
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
    # Switzerland's federal offices, Germany's federal agencies, India's government
    # sites, the Dutch government's.
    ".admin.ch",
    ".bund.de",
    ".nic.in",
    ".overheid.nl",
)
# … and Brazil's judiciary and legislature (stf.jus.br, camara.leg.br), Uruguay's gub.uy,
# Japan's prefectures and cities (metro.tokyo.lg.jp, city.osaka.lg.jp).
_OFFICIAL_LABELS = (
    "gov",
    "gob",
    "gouv",
    "govt",
    "go",
    "edu",
    "ac",
    "mil",
    "gv",
    "jus",
    "leg",
    "gub",
    "lg",
)
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
        # Electoral commissions without a public-sector label: where readers check a
        # deadline to register or the official results.
        "electoralcommission.org.uk",
        "electoralcommission.ie",
        "elections.ca",
        "elections.org.nz",
        "bundeswahlleiterin.de",
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
        # Audit offices (courts of auditors) without a public-sector label.
        "nao.org.uk",
        "audit-scotland.gov.uk",
        "ccomptes.fr",
        "bundesrechnungshof.de",
        "corteconti.it",
        "tcu.es",
        "rekenkamer.nl",
        "curteadeconturi.ro",
        "nik.gov.pl",
        "riksrevisionen.se",
        "rechnungshof.gv.at",
        # Public broadcasters, and each country's most-read news organisations: a reader
        # cites the news of their own country in their own language. Grown country by
        # country; a source missing here is held, not filed as spam (CITATION_MAX_LOGIT).
        "npostart.nl",
        "nu.nl",
        "rtl.nl",
        "trouw.nl",
        "parool.nl",
        "telegraaf.nl",
        "ad.nl",
        "standaard.be",
        "hln.be",
        "ilpost.it",
        "ilsole24ore.com",
        "lastampa.it",
        "ilfattoquotidiano.it",
        "rainews.it",
        "skytg24.it",
        "eldiario.es",
        "elconfidencial.com",
        "20minutos.es",
        "elperiodico.com",
        "lavozdegalicia.es",
        "ara.cat",
        "ccma.cat",
        "larazon.es",
        "ouest-france.fr",
        "leparisien.fr",
        "mediapart.fr",
        "humanite.fr",
        "la-croix.com",
        "20minutes.fr",
        "bfmtv.com",
        "tf1info.fr",
        "lci.fr",
        "nouvelobs.com",
        "lexpress.fr",
        "lepoint.fr",
        "taz.de",
        "tagesspiegel.de",
        "stern.de",
        "focus.de",
        "br.de",
        "ndr.de",
        "wdr.de",
        "swr.de",
        "mdr.de",
        "rbb24.de",
        "deutschlandfunk.de",
        "n-tv.de",
        "t-online.de",
        "kurier.at",
        "diepresse.com",
        "tagesanzeiger.ch",
        "letemps.ch",
        "expresso.pt",
        "observador.pt",
        "dn.pt",
        "jn.pt",
        "sicnoticias.pt",
        "g1.globo.com",
        "cnnbrasil.com.br",
        "agenciabrasil.ebc.com.br",
        "svd.se",
        "expressen.se",
        "aftonbladet.se",
        "sr.se",
        "vg.no",
        "dagbladet.no",
        "berlingske.dk",
        "jyllands-posten.dk",
        "tv2.dk",
        "iltalehti.fi",
        "rp.pl",
        "wyborcza.pl",
        "onet.pl",
        "wp.pl",
        "tvp.info",
        "rmf24.pl",
        "money.pl",
        "bankier.pl",
        "polsatnews.pl",
        "notesfrompoland.com",
        "irozhlas.cz",
        "ct24.ceskatelevize.cz",
        "idnes.cz",
        "novinky.cz",
        "aktualne.cz",
        "denikn.cz",
        "sme.sk",
        "dennikn.sk",
        "telex.hu",
        "hvg.hu",
        "index.hu",
        "444.hu",
        "hotnews.ro",
        "digi24.ro",
        "g4media.ro",
        "libertatea.ro",
        "adevarul.ro",
        "tvr.ro",
        "bnr.bg",
        "dnevnik.bg",
        "n1info.rs",
        "index.hr",
        "jutarnji.hr",
        "rtvslo.si",
        "kathimerini.gr",
        "ertnews.gr",
        "tovima.gr",
        "efsyn.gr",
        "lrt.lt",
        "delfi.lt",
        "lsm.lv",
        "err.ee",
        "kommersant.ru",
        "vedomosti.ru",
        "novayagazeta.eu",
        "rbc.ru",
        "interfax.ru",
        "tass.ru",
        "suspilne.media",
        "epravda.com.ua",
        "liga.net",
        "unian.ua",
        "hromadske.ua",
        "zn.ua",
        "cumhuriyet.com.tr",
        "sozcu.com.tr",
        "bianet.org",
        "aa.com.tr",
        "haaretz.co.il",
        "ynet.co.il",
        "jpost.com",
        "aljazeera.net",
        "alarabiya.net",
        "asharq.com",
        "aawsat.com",
        "ahram.org.eg",
        "madamasr.com",
        "thenationalnews.com",
        "dawn.com",
        "geo.tv",
        "thewire.in",
        "scroll.in",
        "livemint.com",
        "business-standard.com",
        "bhaskar.com",
        "jagran.com",
        "amarujala.com",
        "aajtak.in",
        "prothomalo.com",
        "thedailystar.net",
        "kompas.id",
        "kompas.com",
        "tempo.co",
        "detik.com",
        "antaranews.com",
        "thejakartapost.com",
        "vnexpress.net",
        "tuoitre.vn",
        "thanhnien.vn",
        "vietnamnews.vn",
        "bangkokpost.com",
        "thairath.co.th",
        "rappler.com",
        "inquirer.net",
        "philstar.com",
        "malaysiakini.com",
        "thestar.com.my",
        "todayonline.com",
        "zaobao.com",
        "thepaper.cn",
        "people.com.cn",
        "chinadaily.com.cn",
        "caixin.com",
        "rthk.hk",
        "hk01.com",
        "cna.com.tw",
        "taipeitimes.com",
        "udn.com",
        "chosun.com",
        "joongang.co.kr",
        "donga.com",
        "hani.co.kr",
        "khan.co.kr",
        "kbs.co.kr",
        "mbc.co.kr",
        "sbs.co.kr",
        "koreaherald.com",
        "koreatimes.co.kr",
        "jiji.com",
        "kyodonews.net",
        "tokyo-np.co.jp",
        "sankei.com",
        "standardmedia.co.ke",
        "citizen.digital",
        "thecitizen.co.tz",
        "mwananchi.co.tz",
        "premiumtimesng.com",
        "punchng.com",
        "vanguardngr.com",
        "channelstv.com",
        "dailymaverick.co.za",
        "mg.co.za",
        "sabcnews.com",
        "iol.co.za",
        "jeuneafrique.com",
        "rfi.fr",
        "infobae.com",
        "pagina12.com.ar",
        "emol.com",
        "latercera.com",
        "biobiochile.cl",
        "eluniversal.com.mx",
        "milenio.com",
        "jornada.com.mx",
        "animalpolitico.com",
        "elespectador.com",
        "semana.com",
        "elcomercio.pe",
        "larepublica.pe",
        "eldiario.net",
        "efectococuyo.com",
        "theage.com.au",
        "sbs.com.au",
        "news.com.au",
        "nzherald.co.nz",
        "thespinoff.co.nz",
        "ctvnews.ca",
        "globalnews.ca",
        "thestar.com",
        "ledevoir.com",
        "lapresse.ca",
        "radio-canada.ca",
        "upi.com",
        "theintercept.com",
        "motherjones.com",
        "nationalreview.com",
        "reason.com",
        "huffpost.com",
        "slate.com",
        "salon.com",
        "chicagotribune.com",
        "bostonglobe.com",
        "sfchronicle.com",
        "seattletimes.com",
        "miamiherald.com",
        "texastribune.org",
        "calmatters.org",
        "inews.co.uk",
        "dailymail.co.uk",
        "mirror.co.uk",
        "express.co.uk",
        "standard.co.uk",
        "thescotsman.com",
        "heraldscotland.com",
        "walesonline.co.uk",
        "belfasttelegraph.co.uk",
        "manchestereveningnews.co.uk",
        "yorkshirepost.co.uk",
        "newstatesman.com",
        "spectator.co.uk",
        "private-eye.co.uk",
        "thejournal.ie",
        "independent.ie",
        # Universities whose addresses carry no academic label (ac, edu) nor the word.
        "hse.ru",
        "msu.ru",
        "spbu.ru",
        "unam.mx",
        "uba.ar",
        "usp.br",
        "unicamp.br",
        "unibo.it",
        "unimi.it",
        "uniroma1.it",
        "polimi.it",
        "lmu.de",
        "tum.de",
        "fu-berlin.de",
        "hu-berlin.de",
        "kuleuven.be",
        "uva.nl",
        "uu.nl",
        "ku.dk",
        "uio.no",
        "helsinki.fi",
        "ethz.ch",
        "epfl.ch",
        "uzh.ch",
        "ucm.es",
        "ulisboa.pt",
        "cuni.cz",
        "elte.hu",
        "uoa.gr",
        "auth.gr",
        # Reference works.
        "wikimedia.org",
        "wikisource.org",
        "wiktionary.org",
        "britannica.com",
        "pubmed.ncbi.nlm.nih.gov",
        "scholar.google.com",
        "semanticscholar.org",
        "researchgate.net",
        "europepmc.org",
        "hal.science",
        # News organisations' own link shorteners (a BBC "bbc.in/…" link is the BBC's).
        "bbc.in",
        "nyti.ms",
        "reut.rs",
        "wapo.st",
        "cnn.it",
        "econ.st",
        "bloom.bg",
        "apne.ws",
        "n.pr",
    }
)

# What fake news sites dress their addresses up as: a news organisation's name, alone
# ("bbc-news-money.example.com", "theguardian-uk-news.example.com") or run into "news",
# "live", "24" … ("bbcnews24.example.com"). Names that are also ordinary words (sky,
# fox, mirror, times) count only run into "news" ("skynews-live…"). A one-word address
# under a country's domain ("guardian.ng", "bbc.in") is a paper's own, not a disguise.
_NEWS_BRAND = re.compile(
    r"^(?:the)?(?:bbc|cnn|reuters|apnews|guardian|nytimes|washingtonpost|wsj|bloomberg|"
    r"economist|aljazeera|spiegel|lemonde|lefigaro|elpais|elmundo|corriere|repubblica|"
    r"dailymail|telegraph|forbes|cnbc|usatoday|tagesschau|euronews|france24|ndtv|"
    r"timesofindia|nzherald|politico|newsweek|(?:sky|fox|abc|nbc|cbs|msn|yahoo)(?=news))"
    r"(?:news|online|live|today|breaking|daily|report|uk|us|world|\d+)*$"
)


def imitated_news_site(domain: str) -> str:
    """The news organisation's name a domain is dressed up as, or "" (a recognised
    source is itself): "bbc.co.uk.news-report24.example.net", "nytimes.com-world.example",
    "cnn-health-today.example.org", "bbcnews24.example.com"."""
    if not domain or is_source(domain):
        return ""
    labels = domain.split(".")
    for i in range(1, len(labels) - 1):  # a news site's own domain, then more
        head = ".".join(labels[: i + 1])
        if head in NEWS_SITES or (
            "-" in labels[i] and (head := head.partition("-")[0]) in NEWS_SITES
        ):
            return head
    labels = labels[:-1]
    while len(labels) > 1 and labels[-1] in _REGISTRY_SECOND:
        labels.pop()  # "guardian.co.tt" is one name under Trinidad's "co.tt"
    for label in labels:
        parts = label.split("-")
        for part in parts:
            match = _NEWS_BRAND.match(part)
            if match and (
                len(parts) > 2
                or len(labels) > 1
                or part != _bare_brand(part)
                # A paper's own name beside an edition or a channel ("spiegel-online.de",
                # "forbes-india.com", "cnbc-tv18.com") is no disguise; beside "news" it is.
                or (len(parts) == 2 and all(map(_HEADLINE_WORD.fullmatch, set(parts) - {part})))
            ):
                return part
    return ""


_HEADLINE_WORD = re.compile(r"(?:news|breaking|today|daily|report|headlines?|world|\d+)+")


def _bare_brand(part: str) -> str:
    return re.sub(r"(?:news|online|live|today|breaking|daily|report|uk|us|world|\d+)+$", "", part)


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
HOME_LINK_TOKEN = "zzlinkhome"  # noqa: S105  (a link to a site's home page)
PAGE_LINK_TOKEN = "zzlinkpage"  # noqa: S105  (a link to a page deep in a site)
PROFILE_LINK_TOKEN = "zzlinkprofile"  # noqa: S105  (a profile or channel)
FILE_LINK_TOKEN = "zzlinkfile"  # noqa: S105  (a document or data file)
SHORT_LINK_TOKEN = "zzlinkshort"  # noqa: S105  (a link shortener)
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
    HOME_LINK_TOKEN: "a link to a home page",
    PAGE_LINK_TOKEN: "a link to a page",
    PROFILE_LINK_TOKEN: "a link to a profile or channel",
    FILE_LINK_TOKEN: "a link to a document",
    SHORT_LINK_TOKEN: "a shortened link",
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


def _joined(text: str, undisguise: bool = True) -> str:
    """The text with disguised hosts written plainly: spaced out around their last dot
    ("example. com"), and unless ``undisguise`` is false "defanged" ("example[.]com",
    "example(dot)com") or in full-width or circled letters ("ｅｘａｍｐｌｅ．ｃｏｍ",
    "ⓔⓧⓐⓜⓟⓛⓔ.com")."""
    if undisguise and not text.isascii() and _WIDE.search(text):
        text = _narrowed(text)
    if undisguise and ("[" in text or "(" in text or "{" in text):
        text = _DEFANGED.sub(".", text)
    return _SPACED_DOT.sub(".", text) if "." in text else text


def _is_spelt_dot(word: str) -> bool:
    return word == "punkt" or (len(word) == 3 and word.lower() == "dot")


def _spelt_hosts(text: str) -> list[tuple[int, int, str]]:
    """The hosts spelt out in words in ``text``: (start, end, host) of each, in order.

    One pass over the words (each is read a bounded number of times, so a long run of
    "a dot a dot …" costs in proportion to its length)."""
    words = [(m.start(), m.end(), m.group()) for m in _SPELT_WORD.finditer(text[:MAX_SPELT_CHARS])]
    found = []
    i, count = 0, len(words)
    while i + 2 < count:
        if not _is_spelt_dot(words[i + 1][2]):
            i += 1
            continue
        word = words[i][2]
        first = _SPELT_FIRST.search(word, max(0, len(word) - 64))
        if not first:
            i += 1
            continue
        start = words[i][0] + first.start()
        # The chain "label dot label dot … last", then its longest part ending on a
        # top-level domain ("example dot com dot au" … but "foo dot com dot bar").
        chain = [(i, first.group())]
        j = i
        while j + 2 < count and _is_spelt_dot(words[j + 1][2]):
            j += 2
            chain.append((j, words[j][2]))
            if not _SPELT_LABEL.fullmatch(words[j][2]):
                break  # the last word: "com." or "com/path"
        end = None
        for k in range(len(chain) - 1, 0, -1):
            last, word = chain[k]
            tld = _SPELT_TLD.match(word)
            after = words[last + 1][2] if last + 1 < count else ""
            if tld and not _DOT_COM_NOUN.match(after):
                end, name = (last, tld), [label for _, label in chain[:k]]
                break
        if end is None:
            i = j  # no part of the chain ends on a domain, nor any chain inside it
            continue
        last, tld = end
        plain_word = tld.group().lower() in _WORD_TLDS and len(name) == 1
        if (
            name[0].lower() in _NOT_A_HOST
            or (i > 0 and start == words[i][0] and words[i - 1][2].lower() in _SPELT_AT_WORDS)
            or (plain_word and not re.search(r"[\d-]", name[0]))
        ):
            i = last + 1
            continue
        found.append((start, words[last][0] + tld.end(), ".".join(name) + "." + tld.group()))
        i = last + 1
    return found


def _spelt_out(text: str) -> str:
    """The text with hosts spelt out in words ("example dot com") written as hosts."""
    parts, at = [], 0
    for start, end, host in _spelt_hosts(text):
        parts += [text[at:start], host]
        at = end
    return "".join(parts) + text[at:] if parts else text


def _has_spelt_host(text: str) -> bool:
    lower = text.lower()
    return (" dot " in lower or " punkt " in lower) and bool(_spelt_hosts(text))


def disguised_links(text: str) -> list[str]:
    """The links in ``text`` that were written so as not to read as links."""
    if text.isascii() and not _DEFANGED.search(text) and not _has_spelt_host(text):
        return []
    shown = _links_in(text, undisguise=False)
    return [link for link in _links_in(text) if link not in shown]


def spelt_links(text: str) -> list[str]:
    """The links in ``text`` spelt out in words ("example dot com")."""
    text = bounded(text)
    if not _has_spelt_host(text):
        return []
    shown = _links_in(text, undisguise=False)
    return [link for link in _links_in(_spelt_out(text), False) if link not in shown]


def _narrowed(text: str) -> str:
    """The text with its full-width and circled letters written plainly, when that makes
    a link of them ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ"); otherwise as it was (full-width digits
    in a Japanese date are no link)."""
    plain = _WIDE.sub(lambda match: unicodedata.normalize("NFKC", match.group(0)), text)
    return plain if len(_LINK.findall(plain)) > len(_LINK.findall(text)) else text


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


def without_links(text: str) -> str:
    """The text with its links' addresses removed: what the commenter says in words
    ("youtube.com/watch?v=…" is where a link goes, not a reader asking for anything)."""
    return _LINK.sub(" ", text) if "." in text else text


def find_links(text: str) -> list[str]:
    """Every link-like string in the text, in order, without punctuation around it."""
    return list(_links_in(text))


# The few functions a check asks more than once of the same text (the signals and the
# model read it separately) remember their last answers: a long comment is read once.
@functools.lru_cache(maxsize=64)
def _links_in(text: str, undisguise: bool = True) -> tuple[str, ...]:
    found = []
    text = bounded(text)
    if "href" in text.lower():  # a link inside a tag: clean() would remove it with the tag
        for match in _HREF.finditer(text):
            link = _trimmed(match.group(1))[0]
            found.append("http:" + link if link.startswith("//") else link)
    text = _joined(clean(text), undisguise)
    if undisguise and _has_spelt_host(text):
        text = _spelt_out(text)
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
    # gov.uk, gouv.fr, gob.es, gov.br, go.jp, ac.uk, edu.au: a public second-level label,
    # under a country's domain ("shop.lg.com" or "www.go.com" are companies').
    if len(labels) >= 3 and labels[-2] in _OFFICIAL_LABELS and len(labels[-1]) == 2:
        return True
    if len(labels) == 2 and labels[0] in ("gov", "gouv", "gob"):
        return True
    # The domain or any domain it is under ("www3.nhk.or.jp" is under "nhk.or.jp").
    if any(".".join(labels[i:]) in NEWS_SITES for i in range(len(labels) - 1)):
        return True
    return _public_body_name(labels)


# What a public body's own address is made of, in the languages of the countries that
# name them so: a statistics office (statistics.gr, statistik.at, istat.it), a court
# (bundesgerichtshof.de, courdecassation.fr, tribunalconstitucional.es, domstol.se), an
# official gazette (gazzettaufficiale.it, thegazette.co.uk, diariodarepublica.pt), a
# parliament (bundestag.de, parlamento.pt, senado.es, riksdagen.se) or a university
# (uni-heidelberg.de, universidad…, universita…). Matched on the name a country's
# registry gave out (under a two-letter country domain, or .eu / .int), never on a
# generic one (.com, .net, .xyz …) where anyone can buy such a name, and never with more
# than one hyphen in it ("best-court-lawyers" …).
_PUBLIC_BODY_NAME = re.compile(
    # … and never a name that sells something beside it (essay mills, lawyers, diplomas).
    r"^(?!.*(?:essay|writ|homework|assignment|paper|diploma|degree|cheap|best|buy|shop|"
    r"lawyer|solicitor|attorney|anwalt|abogad|avocat|avvocat|advoga|kanzlei|service))"
    r"(?:the)?(?:"
    r"statisti\w*|stat(?:s|istik|istics)?|[a-z]{1,4}stat|"
    r"\w*(?:gericht|gerechtshof|rechtspraak|cassation|cassazione|costituzional|"
    r"constitucional|constitutionnel|supremecourt|domstol|judiciary|poderjudicial|justiz|"
    r"giustizia)[\w-]*|tribunal[\w-]*|"
    r"\w*(?:gazzett|gazette|journalofficiel|officialjournal|diariooficial|diariodarepublica|"
    r"boletinoficial|dziennikustaw|amtsblatt|bundesanzeiger|staatscourant|monitoruloficial)[\w-]*|"
    r"\w*(?:parlament|parliament|bundestag|bundesrat|nationalrat|landtag|senat|senado|senato|"
    r"congreso|assemblee|assembleia|sejm|riksdag|storting|folketing|eduskunta|althingi|"
    r"knesset|oireachtas|tweedekamer|eerstekamer)[\w-]*|"
    r"uni-\w+|univ-\w+|\w*(?:universit|universidad|universidade|uniwersytet|hochschule|"
    r"politecnico|polytechnique)[\w-]*"
    r")$"
)
# Two-letter domains sold worldwide as generic ones: not a country's registry's word.
_GENERIC_CC = frozenset("co io me tv ly gd cc tk ml ga cf gq ws to su ai fm am la pw vg st".split())
_REGISTRY_SECOND = frozenset("co com org or ne net".split())


def _public_body_name(labels: list[str]) -> bool:
    tld = labels[-1]
    if not ((len(tld) == 2 and tld not in _GENERIC_CC) or tld in ("eu", "int")):
        return False
    names = labels[:-1]
    if len(names) >= 2 and names[-1] in _REGISTRY_SECOND:
        names = names[:-1]
    name = names[-1] if names else ""
    return name.count("-") <= 1 and _PUBLIC_BODY_NAME.match(name) is not None


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


# A profile or channel page: /@name, /channel/…, /user/…, /c/…, /u/…, /profile….
_PROFILE_PATH = re.compile(r"^/(?:@|(?:channel|user|c|u|profile|users)(?:/|$))", re.I)
# A document or data file: a report, a spreadsheet, a dataset.
_FILE_PATH = re.compile(r"\.(?:pdf|csv|xlsx?|docx?|odt|ods|json|ipynb|zip)$", re.I)


def link_kind(link: str, domain: str) -> str:
    """What kind of address a link is, as a marker word the model reads.

    The model reads the kind, never the host name: in the YouTube training set every
    spam link goes to youtube.com (the set's source, not a property of spam), so a model
    that read host names learned youtube.com, github.com … as spam and held readers who
    link a council meeting's video or a data file. What generalizes is the kind of
    address: a shortener hides where it leads; a bare home page or a profile / channel
    is what a commenter advertising themselves gives; a page deep in a site (an
    article, a video, an issue) or a document is what a reader cites."""
    if domain in SHORTENERS:
        return SHORT_LINK_TOKEN
    rest = link.split("://", 1)[-1]
    slash = rest.find("/")
    path = rest[slash:].split("?", 1)[0].split("#", 1)[0] if slash >= 0 else ""
    query = slash >= 0 and "?" in rest[slash:]
    if _PROFILE_PATH.match(path):
        return PROFILE_LINK_TOKEN
    if _FILE_PATH.search(path):
        return FILE_LINK_TOKEN
    if path.strip("/") or query:
        return PAGE_LINK_TOKEN
    return HOME_LINK_TOKEN


# One post on a public platform, by its address: a video (not a channel), a post or a
# thread (not a profile), a repository. What a reader points to when they cite what
# someone said or showed; what a spammer is paid for is a channel, a profile, a shop or
# a site to rank (``link_kind`` marks profiles and channels apart). In the training sets
# a text that cites such a post and asks nothing is genuine 13 times in 15.
_PUBLIC_POST = re.compile(
    r"(?i)^(?:https?://)?(?:www\.|m\.|mobile\.|old\.)?(?:"
    r"youtube\.com/(?:watch\?(?:\S*&)?v=|shorts/|live/)[\w-]{6}|youtu\.be/[\w-]{6}"
    r"|(?:x|twitter)\.com/\w{1,30}/status/\d{6}"
    r"|reddit\.com/r/\w{2,40}/comments/\w"
    r"|(?:github\.com|gitlab\.com|codeberg\.org|bitbucket\.org)/[\w.-]{1,40}/[\w.-]{1,100}"
    r"|gist\.github\.com/[\w.-]{1,40}/\w"
    r"|(?:kaggle\.com|huggingface\.co)/datasets/[\w.-]{1,40}/\w"
    r"|zenodo\.org/(?:records?|doi)/\w|osf\.io/\w{5}|figshare\.com/articles/\w"
    r"|(?:facebook\.com/[\w.-]{1,60}/(?:posts|videos)/|instagram\.com/(?:p|reel)/)\w"
    r"|bsky\.app/profile/[\w.-]{1,80}/post/\w"
    r"|vimeo\.com/\d{5}"
    r")"
)


def is_public_post(link: str) -> bool:
    """Whether a link is one post on a public platform (a video, a post, a thread, a
    repository), not a channel, a profile or a home page."""
    return _PUBLIC_POST.match(link.strip()) is not None


# One petition's or fundraiser's page (not the platform's home page): what readers
# share under a story about a library closing or a family that lost its home. The
# platforms' own short links too (chng.it, gofund.me).
_APPEAL_PAGE = re.compile(
    r"(?i)^(?:https?://)?(?:www\.|m\.|you\.)?(?:"
    r"change\.org/p/[\w%-]{6}|chng\.it/\w{6}|gofundme\.com/f/[\w%-]{6}|gofund\.me/\w{6}"
    r"|justgiving\.com/(?:crowdfunding|fundraising|page|campaign|team)/[\w%-]{4}"
    r"|openpetition\.(?:de|eu|at|org)/(?:[a-z]{2}/)?petition/"
    r"|avaaz\.org/\w{2,5}/petition/|crowdfunder\.co\.uk/p/[\w-]{4}|leetchi\.com/c/[\w-]{4}"
    r"|38degrees\.org\.uk/petitions/[\w-]{4}|weact\.campact\.de/petitions/[\w-]{4}"
    r"|mesopinions\.com/petition/|helloasso\.com/associations/[\w-]{2,}/collectes/"
    r")"
)


def is_appeal_page(link: str) -> bool:
    """Whether a link is one petition's or fundraiser's page on a public platform."""
    return _APPEAL_PAGE.match(link.strip()) is not None


def is_cited(link: str) -> bool:
    """Whether a link points to what readers cite rather than to what a spammer is paid
    for: a recognised source (``is_source``) or one public post (``is_public_post``)."""
    return is_source(domain_of(link)) or is_public_post(link)


def _link_for_model(match: re.Match[str]) -> str:
    link, after = _trimmed(match.group(0))
    domain = domain_of(link)
    if is_source(domain):
        return f" {SOURCE_TOKEN} {after}"
    kind = link_kind(link, domain)
    if kind in (SHORT_LINK_TOKEN, PROFILE_LINK_TOKEN):
        return f" {URL_TOKEN} {kind} {after}"
    return f" {URL_TOKEN} {after}"


# Dates and spans of years ("2024-03-02", "12/05/2023", "2018-2019") are not phones.
_DATE = re.compile(
    r"\(?(?:(?:19|20)\d\d\s?[-–/.]\s?(?:\d\d|(?:19|20)\d\d)(?:[-/.]\d\d)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d\d)\)?"
)


# A sum grouped in thousands by dots or commas ("4.500.000", "12,000,000"), as Rupiah,
# Dong, Won or Naira sums are written, is not a phone number; "555.123.4567" is.
_THOUSANDS = re.compile(r"\d{1,3}(?:(?:\.\d{3})+|(?:,\d{3})+)")


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    candidate = candidate.strip()
    return (
        7 <= digits <= 15 and not _DATE.fullmatch(candidate) and not _THOUSANDS.fullmatch(candidate)
    )


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


# A messaging app's id given without "@" ("加微信 abc12345", "LINE ID: money_jp55",
# "Kakao: kr_loan77"): the app's name, then an id after a colon or "ID"/"号", or an id
# with a digit or an underscore in it, as ids have and ordinary words do not ("on
# Telegram today" gives none).
_APP_ID = re.compile(
    r"(?i)(?:(?<![a-z])(?:wechat|weixin|wx|line ?id|kakao(?:talk)?|zalo|skype|"
    r"snap(?:chat)?(?: me)?|telegram|qq|insta(?:gram)?|ig|tiktok|facebook|fb)(?![a-z])"
    r"|微信|카톡|телеграм\w*|инстаграм\w*)"
    r"\s*(?:号|id)?\s*([:：]?)\s*([a-z][\w.-]{3,31})(?![\w@])"
)
# … or named before the app it is on ("recoverywithdaniel on Instagram", "inversiones_carla
# en Instagram", "RECOVERYWIZARD on Instagram"): an account to look up, when the name is
# shaped like one (a digit, "_" or "." inside it, in capitals, or a long run of words
# run together that names money, recovery or hacking) — "posted on Instagram" names none.
_ID_ON_APP = re.compile(
    r"(?i)(?<![\w@.])([a-z][\w.]{3,31}[a-z0-9])\s+(?:on|en|no|na|auf|bei|sur|su|in|via|"
    r"в|на)\s+(?:insta(?:gram)?|ig|telegram|tiktok|facebook|fb|snap(?:chat)?|twitter|"
    r"discord|whats\s?app|телеграм\w*|инстаграм\w*)(?![a-z])"
)
_ID_WORDS = re.compile(
    r"recover|hack|fund|invest|trad|loan|crypto|coin|profit|money|cash|expert|forex|"
    r"wizard|guru|spell|rich|wealth|earn|bitcoin|btc|hilfe|asset"
)


def _looks_like_id(name: str) -> bool:
    if any(c.isdigit() or c in "_." for c in name):
        return True
    return (len(name) >= 8 and name.isupper()) or (
        len(name) >= 10 and _ID_WORDS.search(name.lower()) is not None
    )


def _app_ids(text: str) -> list[str]:
    ids = [
        name
        for colon, name in _APP_ID.findall(text)
        if colon or any(c.isdigit() or c == "_" for c in name)
    ]
    return [*ids, *(name for name in _ID_ON_APP.findall(text) if _looks_like_id(name))]


# A "@name" is a way to be reached when the text names where to reach it (an app or a
# platform) or asks readers to get in touch; otherwise it addresses another reader
# ("@Jens you misread the chart", "replying to @sam_w"), as every comment section does.
_REACH = re.compile(
    r"(?i)(?<![a-z])(?:telegram|whats\s?app|wa|instagram|insta|ig|tiktok|snap(?:chat)?|"
    r"facebook|fb|discord|wechat|line id|kakao\w*|skype|viber|zalo|onlyfans|"
    r"(?:dm|pm|inbox|message|text|e-?mail|write(?: to)?|add|follow|contact|reach|find|"
    r"call) (?:me|us|him|her|them)|dm|inbox|hit me up|reach out|contact\w*\s+(?=@)|"
    r"kontakt\w*|escr[ií]b\w*|s[ií]gue\w*|siga\w*|segue\w*|folgt|suivez|seguit\w*|"
    r"hubungi|ulaşın|yazın)(?![a-z])"
    # LINE, the app, is spelt in capitals beside Japanese, Thai or Chinese ("詳しくはLINEで→
    # @id") or before its "ID"; an English "LINE" (a bus line, in capitals) is no app.
    r"|(?-i:(?<=[\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff])LINE|LINE(?=\s*(?:ID|[\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff])))"
    r"|телеграм|инстаграм|тикток|пиш|напиш|подпис|텔레그램|电报|テレグラム|联系|加我|私信|連絡|연락|카톡|واتساب|تواصل"
)


def _reach_handles(text: str) -> list[str]:
    if _REACH.search(text) is None:
        return []
    return _HANDLE.findall(_EMAIL.sub(" ", text))


def contact_handles(text: str) -> list[str]:
    """E-mail addresses (also spelt out: "name at mail dot com"), messaging handles
    (@name, where the text names an app or asks to be reached: ``_REACH``) and messaging
    apps' ids ("WeChat: abc12345", "trader_emily_fx on Telegram") in the text."""
    text = clean(bounded(text))
    spelt = _SPELT_EMAIL.findall(text) if "dot" in text.lower() else []
    ids = _app_ids(text)
    if "@" not in text:
        return [*spelt, *ids]
    emails = _EMAIL.findall(text)
    return [*emails, *spelt, *_reach_handles(text), *ids]


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
    words = _WORD_RUN.findall(text.casefold())
    return len(words) >= 6 and len(set(words)) <= 0.4 * len(words)


def for_model(text: str) -> str:
    """The text as the learned model reads it.

    A link becomes a marker word: one for official and news sources; for any other site
    a link marker and the kind of address (``link_kind()``), never its host name, which
    in the training sets tells where a comment was collected, not whether it is spam.
    What marks a contact scam or a money offer becomes a marker word before
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


# The model ===========================================================================

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
_SHIFT = 64 - BITS
_WORD = re.compile(r"(?u)\b\w+\b")
_POWER_COUNT = 4096


@functools.cache
def _powers() -> np.ndarray:
    """Powers of the base, for hashing words of any length (longer words reuse the last)."""
    import numpy as np

    return np.array([pow(_BASE, k, 1 << 64) for k in range(_POWER_COUNT)], dtype=np.uint64)


def _code_points(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate is a code point like any other here.
    import numpy as np

    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(
        np.uint64
    )


def _buckets(hashes: np.ndarray) -> np.ndarray:
    import numpy as np

    return ((hashes * np.uint64(_MIX)) >> np.uint64(_SHIFT)).astype(np.int64)


def char_ngrams(text: str) -> np.ndarray:
    """The bucket of every character n-gram, as ``char_wb`` cuts them (with repeats)."""
    import numpy as np

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
    import numpy as np

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
    powers = _powers()
    hashes = np.add.reduceat(points * powers[np.minimum(to_end, powers.size - 1)], starts)
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
SCHEME = "char_wb2-5+word1-2/link-kinds+markers/poly-2^18/sgd+ham-prior/v6"
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
    import numpy as np

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
    import numpy as np
    import scipy.sparse as sp

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
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=0)


def _train_linear(
    X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, epochs: int, seed: int
) -> SGDClassifier:
    import numpy as np

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
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

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
    import numpy as np

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


@dataclass
class LinearWeights:
    """A trained linear model as scoring and saving read it: scikit-learn's ``coef_``,
    ``intercept_`` and step count ``t_``. A stored model is rebuilt as these plain
    arrays, so a worker that only scores comments never imports SciPy or
    scikit-learn (about 90 MB a process); only training does."""

    coef_: np.ndarray
    intercept_: np.ndarray
    t_: float


class TextModel:
    """The trained linear model and its calibration, what moderators taught on top,
    and the methods the pipeline needs."""

    def __init__(
        self,
        linear: SGDClassifier | LinearWeights,
        calibration: np.ndarray,
        common: tuple[np.ndarray, np.ndarray] | None = None,
        examples: int = 0,
    ) -> None:
        import numpy as np

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
        import numpy as np

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
        import numpy as np

        features = vectorize_one(for_model(text))
        empty = np.zeros(0, dtype=np.int64), np.zeros(0)
        words = slice(features.indices.size - features.word_count, None)  # they come last
        indices, values = features.indices[words], features.values[words]
        # A lesson is not taught through "a link" itself (the marker and the word pairs
        # with it): every link spam and every reader who cites a page has one, so a lesson
        # on one spam comment's link held readers who cite pages (the learning stream
        # held 1.4% of the genuine newsroom comments that way). What a moderator teaches
        # about a link stays with its domain (``pipeline.spam_domains``) and with the
        # comment's words; the kinds of address that mark spam (a shortener, a profile)
        # are still taught.
        link_words = [
            N_FEATURES + bucket  # word features come after the character ones
            for word, bucket in zip(features.words, features.word_buckets, strict=True)
            if URL_TOKEN in word
        ]
        if link_words:
            keep = ~np.isin(indices, link_words)
            indices, values = indices[keep], values[keep]
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
        import numpy as np

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
        import numpy as np

        indices = np.flatnonzero(self.learned).astype(np.int32)
        return pack_delta(indices, self.learned[indices], self.decisions)

    def load_learned(self, data: bytes | memoryview) -> None:
        """Replace the learned weights with a snapshot's (``ModelFormatError`` if
        unreadable)."""
        import numpy as np

        indices, values, decisions = unpack_delta(data)
        self.learned = np.zeros(WIDTH, dtype=np.float64)
        self.learned[indices] = values
        self.decisions = decisions

    def forget_learned(self) -> None:
        import numpy as np

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
        import numpy as np

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
        import numpy as np

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
        import numpy as np

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
        return cls(
            LinearWeights(coef, intercept.astype(np.float64), float(meta.get("t", 1.0))),
            calibration.astype(np.float64),
            (common.astype(np.int64), share.astype(np.float64)),
            examples=int(meta.get("examples", 0)),
        )


def pack_delta(indices: np.ndarray, values: np.ndarray, decisions: int = 1) -> bytes:
    """Sparse learned weights as plain arrays (no pickle, no compression: it is small)."""
    import numpy as np

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
    import numpy as np

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
