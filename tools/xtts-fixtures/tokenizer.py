"""A tiny XTTS-shaped `vocab.json` (Hugging Face tokenizers JSON) and a reference encoder for it.

Layout copied from XTTS-v2's vocab.json (see idiap/coqui-ai-TTS tests/inputs/xtts_vocab.json): added
tokens [STOP]=0, [UNK]=1, [SPACE]=2, language tokens and [START]=261, normalizer null, Whitespace
pre-tokenizer, BPE model without prefixes/suffixes, fuse_unk false.

`encode` follows `VoiceBpeTokenizer.encode` (TTS/tts/layers/xtts/tokenizer.py) after cleaning:
`[lang]` prefix, " " → "[SPACE]", then what tokenizers does: split on added tokens, Whitespace
pre-tokenizer (regex `\\w+|[^\\w\\s]+`), BPE per pre-token (characters missing from the vocab become
[UNK] one by one; the lowest-ranked adjacent pair is merged first, leftmost on ties).
"""

import re

ADDED = ["[STOP]", "[UNK]", "[SPACE]"]
LANGS = ["en", "pt", "de", "es", "fr"]
START_TOKEN = "[START]"
START_ID = 261

PUNCT = list(".,!?'-")
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
DIGITS = list("0123456789")
ACCENTED = list("áéíóúãõçàâêôüöäßñ")

# Merge rules in rank order (English and Portuguese pairs/words).
MERGES = [
    "t h", "i n", "th e", "a n", "e r", "o u", "r e", "o n", "a t", "e n",
    "t o", "in g", "an d", "i s", "a s", "a l", "o r", "o f", "a r", "h e",
    "e s", "s t", "l l", "e d", "ã o", "d e", "q u", "qu e", "ç ão", "o s",
    "d o", "d a", "n t", "c o", "m e", "e m", "u m", "n ão", "p a", "pa r",
    "w or", "l d", "h i", "he ll",
]


def build_vocab():
    """→ dict token → id (ids < 261 except [START]) and the merges list."""
    vocab = {}
    for tok in ADDED + PUNCT + LETTERS + DIGITS + ACCENTED:
        vocab[tok] = len(vocab)
    for merge in MERGES:
        a, b = merge.split(" ")
        assert a in vocab and b in vocab, f"merge {merge!r} uses a symbol missing from the vocab"
        vocab.setdefault(a + b, len(vocab))
    for lang in LANGS:
        vocab[f"[{lang}]"] = len(vocab)
    assert len(vocab) < START_ID
    vocab[START_TOKEN] = START_ID
    return vocab, list(MERGES)


def vocab_json():
    """The tokenizers JSON document (dict) for vocab.json."""
    vocab, merges = build_vocab()
    specials = ADDED + [f"[{lang}]" for lang in LANGS] + [START_TOKEN]
    added = [
        {"id": vocab[t], "special": True, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False}
        for t in specials
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "[UNK]",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "vocab": vocab,
            "merges": merges,
        },
    }


def _bpe(word, vocab, ranks):
    """Ids of one pre-token: characters, then merge the best-ranked adjacent pair until none apply."""
    symbols = [c if c in vocab else "[UNK]" for c in word]
    while len(symbols) > 1:
        best = None
        for i in range(len(symbols) - 1):
            r = ranks.get((symbols[i], symbols[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
    return [vocab[s] for s in symbols]


_WHITESPACE_PRE = re.compile(r"\w+|[^\w\s]+")


def encode(text, lang):
    """Cleaned lowercase text → ids, as VoiceBpeTokenizer.encode (without [START]/[STOP])."""
    vocab, merges = build_vocab()
    ranks = {tuple(m.split(" ")): r for r, m in enumerate(merges)}
    specials = [t["content"] for t in vocab_json()["added_tokens"]]
    txt = f"[{lang}]{text}".replace(" ", "[SPACE]")
    ids = []
    pattern = re.compile("(" + "|".join(re.escape(s) for s in specials) + ")")
    for piece in pattern.split(txt):
        if not piece:
            continue
        if piece in specials:
            ids.append(vocab[piece])
            continue
        for word in _WHITESPACE_PRE.findall(piece):
            ids.extend(_bpe(word, vocab, ranks))
    return ids


#: Tokenizer reference cases: already cleaned (lowercase, numbers expanded) as the TS side feeds BPE.
TOKEN_CASES = [
    ("en", "hello world"),
    ("en", "the thing is, they went there!"),
    ("en", "it's a well-known fact... isn't it?"),
    ("en", "send it to bob@home"),
    ("pt", "a canção não é de ninguém."),
    ("pt", "você quer ouvir a história?"),
    ("de", "straße über öl"),
    ("es", "el niño está aquí 2"),
]
