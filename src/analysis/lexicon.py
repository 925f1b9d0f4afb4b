"""The project's lexicons: user dictionary, stopwords and synonym table.

They are data files under ``src/analysis/lexicons/`` (version-controlled, commented); this
module only reads them. Formats:

``userdict.txt``
    one term per line, optionally ``<TAB>pos-tag``; terms may contain spaces
    (``AI Infrastructure``) — the tokenizer keeps such phrases whole itself.
``stopwords.txt``, ``stopwords_en.txt``
    one word per line, Chinese and English. Punctuation, symbols and numbers are stopwords by
    rule, not listed. ``stopwords_en.txt`` may be missing from a custom lexicon folder.
``synonyms.tsv``
    ``variant<TAB>canonical``; variants are matched by :func:`term_key` (width-folded,
    case-folded, spaces removed), so one line covers ``AI Infra``/``ai infra``/``AI infra``.

In all of them, ``#`` starts a comment (at the start of a line, or after two spaces).

English words are normalised by rule (see :meth:`Lexicon.canonical`): possessive ``'s``/``s'``
dropped, lower case unless written as an acronym, then lemmatised with simplemma (its
dictionaries ship inside the package: nothing is downloaded).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import simplemma

from .errors import InputError
from .screen import translate_all

LEXICON_FILES = ("userdict.txt", "stopwords.txt", "stopwords_en.txt", "synonyms.tsv")
#: lexicon files a custom lexicon folder may leave out
OPTIONAL_LEXICON_FILES = ("stopwords_en.txt",)

_WIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20  # ideographic space
_SPACE = re.compile(r"\s+")
_COMMENT = re.compile(r"(?:^|\s{2,}|\t)#.*$")


def fold_width(text: str) -> str:
    """Map full-width ASCII (``ＡＩ``, ``，``, ``１``) to half-width, one character for one.

    Being length-preserving matters: character offsets computed on the folded text are
    offsets into the original.
    """
    return text.translate(_WIDTH_TABLE)


def fold_width_all(texts: list[str]) -> list[str]:
    """``[fold_width(text) for text in texts]``, in one numpy pass over all of them
    (:func:`analysis.screen.translate_all`): for a chapter's worth of texts, several times faster."""
    return translate_all(texts, _WIDTH_TABLE)


def term_key(term: str) -> str:
    """The form under which two spellings of a term are the same: folded, lower-case, no spaces."""
    return _SPACE.sub("", fold_width(term)).casefold()


_LATIN = re.compile(r"[A-Za-z0-9]")
_PIECES = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+#&\-]*|[^\sA-Za-z0-9]+")


def needs_protection(term: str) -> bool:
    """Whether jieba alone would split the term: it has a space, or mixes Latin with CJK."""
    has_latin = bool(_LATIN.search(term))
    return " " in term or (has_latin and any(not ch.isascii() for ch in term))


def term_pattern(term: str) -> str:
    """A regex for a term as it may be written in running text.

    Spaces between a Latin piece and a CJK piece are optional (``AI 编程`` = ``AI编程``), Latin
    words need at least one space between them, and a term that starts or ends with a Latin
    character only matches at a Latin word boundary (``ARR`` is not found in ``ARRAY``, but is in
    ``ARR增长``). Compile it with ``re.IGNORECASE`` on width-folded text.
    """
    pieces = _PIECES.findall(fold_width(term))
    if not pieces:
        raise ValueError(f"empty term {term!r}")
    pattern = ""
    for i, piece in enumerate(pieces):
        if i:
            both_latin = _LATIN.match(pieces[i - 1][-1]) and _LATIN.match(piece[0])
            pattern += r"\s+" if both_latin else r"\s*"
        pattern += re.escape(piece)
    if _LATIN.match(pieces[0][0]):
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if _LATIN.match(pieces[-1][-1]):
        pattern += r"(?![A-Za-z0-9])"
    return pattern


def english_term_pattern(term: str) -> str:
    """A regex for a term of the codebook's English edition, as :func:`term_pattern` (width
    folded, Latin word boundaries, compile with ``re.IGNORECASE``), and in addition:

    * words joined by a space or a hyphen match either way (``product-led growth`` =
      ``product led growth`` = ``product-led-growth``): English writers hyphenate compounds
      inconsistently;
    * the last word matches its plural: ``+s``/``+es`` (``subscription`` → ``subscriptions``,
      ``GPU`` → ``GPUs``), and a final consonant + ``y`` also as ``ies`` (``company`` →
      ``companies``). An acronym's plural ``s`` may be preceded by an apostrophe (``CEO's`` is
      found too, as the possessive it usually is).
    """
    folded = fold_width(term).strip()
    words = re.split(r"[\s\-]+", folded)
    if not all(words) or not all(_LATIN.search(w) for w in words):
        return term_pattern(term)  # not an English phrase (CJK inside): the general rule
    last = words[-1]
    if re.search(r"[^aeiouAEIOU]y$", last):
        ending = re.escape(last[:-1]) + "(?:y|ies)"
    else:
        ending = re.escape(last) + "(?:'?e?s)?"
    body = r"[\s\-]+".join([*(re.escape(w) for w in words[:-1]), ending])
    start = r"(?<![A-Za-z0-9])" if _LATIN.match(words[0][0]) else ""
    end = r"(?![A-Za-z0-9])" if _LATIN.match(last[-1]) else ""
    return start + body + end


def whole_words(pattern: str) -> str:
    """A codebook pattern of the English edition as a whole-word regex: it may not start or end
    inside a Latin word (``\\b`` would not do: CJK characters are word characters too)."""
    return r"(?<![A-Za-z0-9])(?:" + pattern + r")(?![A-Za-z0-9])"


_LATIN_BEFORE = r"(?<![A-Za-z0-9])"


def phrases_regex(terms, latin_rule: str | None = None) -> re.Pattern | None:
    """One compiled regex matching any of ``terms`` as :func:`term_pattern` would, longest first.

    Spellings that differ only in case or spacing are merged, and the Latin word-boundary
    test is factored out in front of the Latin-initial alternatives: the regex engine then
    skips every CJK position at once, which makes this ~10× faster than a plain alternation.
    ``latin_rule``, a pattern for Latin text starting at a word boundary, is tried after the
    Latin-initial terms, under the same boundary test (a separate alternative would be tried
    at every position: twice the time).
    """
    unique: dict[str, str] = {}
    for term in sorted(terms, key=lambda t: (-len(t), t)):
        unique.setdefault(term_key(term), term)
    ordered = sorted(unique.values(), key=lambda t: (-len(term_key(t)), t))
    if not ordered and latin_rule is None:
        return None
    latin = [term_pattern(t).removeprefix(_LATIN_BEFORE) for t in ordered if _LATIN.match(fold_width(t)[0])]
    if latin_rule is not None:
        latin.append(latin_rule)
    other = [term_pattern(t) for t in ordered if not _LATIN.match(fold_width(t)[0])]
    parts = []
    if latin:
        # the cheap test first: at a CJK position the lookahead fails before the lookbehind runs
        parts.append("(?=[A-Za-z0-9])" + _LATIN_BEFORE + "(?:" + "|".join(latin) + ")")
    parts += other
    return re.compile("|".join(parts), re.IGNORECASE)


#: An English word as the tokenizer keeps it whole: letters and digits, starting with a letter,
#: possibly joined by hyphens (open-source) or apostrophes (don't, company's), or ending in the
#: apostrophe of a plural possessive (users').
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*(?:(?<=[sS])['’])?")
_POSSESSIVE = re.compile(r"(?<=[A-Za-z0-9])'[sS]$|(?<=[sS])'$")


def is_english_word(text: str) -> bool:
    """Whether ``text`` is one English word as the tokenizer keeps it (see ``_ENGLISH_WORD``)."""
    return _ENGLISH_WORD.fullmatch(text) is not None


def drop_possessive(word: str) -> str:
    """``company's`` → ``company``, ``users'`` → ``users``, ``it's`` → ``it``: the clitic 's
    (possessive, or "is"/"has") carries no topic. Other contractions are left whole."""
    return _POSSESSIVE.sub("", word)


def english_form(word: str) -> str:
    """The form an English (ASCII) word is counted under.

    Words written in capitals (AI, CEO, PLG, COVID-19, and single letters: Plan B, "I") keep
    their case, so that acronyms stay apart from words (US ≠ us) and keep the spelling charts
    print; stopwords are compared case-insensitively, so "I" and a sentence-initial "A" are still
    stopwords. Other words are lower-cased ("Cloud" and "cloud" are one word). Then words of
    letters only, three or more, are lemmatised (companies → company, was → be), except:

    * shorter words: function words or abbreviations, which simplemma sometimes maps to
      unrelated lemmas (ai → be);
    * words with a capital inside (MaaS, GitHub, iPhone): names, which simplemma would treat as
      plurals or inflections (maas → maa).

    simplemma capitalises the lemmas of names it knows (linux → Linux): lemmas are lower-cased.
    """
    if word.isupper():
        return word
    named = any(ch.isupper() for ch in word[1:])
    word = word.lower()
    if word.isalpha() and len(word) > 2 and not named:
        return _lemma(word).lower()
    return word


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    return simplemma.lemmatize(word, lang="en")


def default_lexicon_dir() -> Path:
    return Path(str(resources.files("analysis") / "lexicons"))


def _data_lines(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        if path.name in OPTIONAL_LEXICON_FILES:
            return []
        raise InputError(path, "lexicon file not found")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = _COMMENT.sub("", line).rstrip()
        if line.strip():
            out.append((number, line.strip(" ")))
    return out


@dataclass(frozen=True)
class Lexicon:
    user_terms: tuple[tuple[str, str | None], ...]
    stopwords: frozenset[str]
    synonyms: dict[str, str] = field(hash=False)
    #: the variants of synonyms.tsv as written (spaces kept), for phrase matching
    synonym_variants: tuple[str, ...] = ()
    fingerprint: str = ""

    def canonical(self, token: str) -> str:
        """The canonical spelling of a token: synonym table first, then the user dictionary;
        otherwise, for an English word, its lower-case lemma (see :func:`english_form`)."""
        if _ENGLISH_WORD.fullmatch(token):
            token = drop_possessive(token.replace("’", "'"))
        found = self.lookup(token)
        if found:
            return found
        if token.isascii() and any(ch.isalpha() for ch in token):
            form = english_form(token)
            return self.lookup(form) or form  # "licenses" → license → 许可证, as "license" does
        return token

    def lookup(self, token: str) -> str | None:
        """The canonical form the lexicon gives a token (synonym table, then user dictionary)."""
        key = term_key(token)
        return self.synonyms.get(key) or self._user_keys.get(key)

    def spellings(self, term: str) -> list[str]:
        """``term`` and every spelling the synonym table makes the same word (``ARR`` → ``ARR``, ``AR``)."""
        canonical = self.canonical(term.strip())
        target = term_key(canonical)
        found = [term.strip(), canonical]
        found += [v for v in self.synonym_variants if term_key(self.synonyms.get(term_key(v), v)) == target]
        return list(dict.fromkeys(found))

    @property
    def _user_keys(self) -> dict[str, str]:
        cached = self.__dict__.get("_user_keys_cache")
        if cached is None:
            cached = {term_key(term): term for term, _ in self.user_terms}
            object.__setattr__(self, "_user_keys_cache", cached)
        return cached


def load_lexicon(folder: Path | str | None = None) -> Lexicon:
    """Read the three lexicon files from ``folder`` (default: the package's own)."""
    folder = Path(folder) if folder else default_lexicon_dir()
    digest = hashlib.sha256()
    for name in LEXICON_FILES:
        digest.update((folder / name).read_bytes() if (folder / name).exists() else b"")

    user_terms = []
    for _, line in _data_lines(folder / "userdict.txt"):
        term, _, tag = line.partition("\t")
        term = _SPACE.sub(" ", fold_width(term.strip()))
        user_terms.append((term, tag.strip() or None))

    stopwords = frozenset(fold_width(line).strip() for name in ("stopwords.txt", "stopwords_en.txt")
                          for _, line in _data_lines(folder / name))

    synonyms: dict[str, str] = {}
    variants: list[str] = []
    for number, line in _data_lines(folder / "synonyms.tsv"):
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if len(parts) != 2:
            raise InputError(folder / "synonyms.tsv", f"line {number}: expected 'variant<TAB>canonical', got {line!r}")
        synonyms[term_key(parts[0])] = parts[1]
        variants.append(_SPACE.sub(" ", fold_width(parts[0])))
    for term, _ in user_terms:
        synonyms.setdefault(term_key(term), term)
    return Lexicon(tuple(user_terms), stopwords, synonyms, tuple(variants), digest.hexdigest()[:16])
