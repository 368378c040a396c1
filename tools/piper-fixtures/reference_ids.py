#!/usr/bin/python3
"""Reference phoneme ids for the Piper phonemizer tests (issue 15).

Piper's own phonemizer (rhasspy/piper-phonemize, src/phonemize.cpp and src/phoneme_ids.cpp at
bfc2e754) cannot be installed here (no PyPI), so this script applies its rules in Python to the
clauses of Debian's libespeak-ng (1.51, ``espeak_TextToPhonemes`` through ctypes, the call Piper
makes, IPA mode 0x02):

- one ``espeak_TextToPhonemes`` call per clause; the text pointer it advances (to one character
  past the clause's end: espeak reads ahead) tells where the clause ended. Piper's espeak fork also returns the clause terminator; Debian's 1.51 does not, so
  the terminator is read from the text before that point: ``.`` ``?`` ``!`` end a sentence and are
  appended; ``,`` ``:`` ``;`` are appended with a space; a dash followed by a space counts as
  ``;`` (espeak's EXTENDED_DASH); anything else appends nothing;
- language flags such as ``(en)`` removed; NFD; ``pt-br``: ``c`` -> ``k`` (DEFAULT_PHONEME_MAP);
- ids: ``^ _`` then each phoneme's id and ``_``, then ``$``; phonemes not in the map skipped.

Writes JSON: {voice: {text: [[ids of sentence 1], [ids of sentence 2], ...]}} with the default
Piper phoneme_id_map of test/fixtures/piper/ (the map published voices carry).

Run: /usr/bin/python3 tools/piper-fixtures/reference_ids.py > test/fixtures/piper/reference-ids.json
"""
import ctypes
import json
import sys
import unicodedata
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ID_MAP = json.loads((ROOT / 'test/fixtures/piper/phoneme-id-map.json').read_text())

SENTENCES = {
    'en-us': [
        'Hello there, my friend.',
        'How are you? I am fine!',
        'The door creaks open; a cold wind blows: winter is here.',
        'It costs 3.5 gold, or 12 silver.',
        '"Run!" she shouted.',
        'The year was 1999 and the tavern was full',
        'Wait - who goes there?',
        "Don't touch the orc's axe.",
    ],
    'pt-br': [
        'Olá, meu amigo.',
        'Como você está? Ação e coração!',
        'O dragão tem 3 cabeças; cuidado.',
        'A porta se abre: o vento sopra.',
    ],
}

lib = ctypes.CDLL('libespeak-ng.so.1')
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
AUDIO_OUTPUT_SYNCHRONOUS = 2
espeakCHARS_UTF8 = 1
IPA = 0x02
if lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0) < 0:
    sys.exit('espeak_Initialize failed')

SENTENCE_END = {'.': '.', '?': '?', '!': '!'}
CLAUSE_MARK = {',': ', ', ':': ': ', ';': '; '}
CLOSERS = '"\'”’»)]'


def terminator(before: str) -> tuple[str, bool]:
    """What Piper appends after a clause ending with ``before``, and whether the sentence ends."""
    tail = before.rstrip()
    while tail and tail[-1] in CLOSERS:
        tail = tail[:-1]
    if not tail:
        return '', False
    ch = tail[-1]
    if ch in SENTENCE_END:
        return SENTENCE_END[ch], True
    if ch in CLAUSE_MARK:
        return CLAUSE_MARK[ch], False
    if ch in '-–—' and before.endswith((' ', '\t', '\n')):
        return '; ', False
    return '', False


def sentences(text: str, voice: str) -> list[list[str]]:
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        sys.exit(f'unknown espeak voice {voice}')
    data = text.encode('utf-8')
    buf = ctypes.create_string_buffer(data)
    start = ctypes.cast(buf, ctypes.c_void_p).value
    ptr = ctypes.c_void_p(start)
    out: list[list[str]] = []
    current: list[str] = []
    while ptr.value is not None:
        before_ptr = ptr.value
        phonemes = lib.espeak_TextToPhonemes(ctypes.byref(ptr), espeakCHARS_UTF8, IPA).decode('utf-8')
        if ptr.value is None:
            mark, _ = terminator(data[before_ptr - start:].decode('utf-8'))
            sentence_end = True
        else:
            # espeak leaves the pointer one character into the next clause (it read ahead to find the end).
            clause = data[before_ptr - start:ptr.value - start].decode('utf-8')[:-1]
            mark, sentence_end = terminator(clause)
        phonemes = re.sub(r'\([^)]*\)', '', phonemes)
        phonemes = unicodedata.normalize('NFD', phonemes + mark)
        for ch in phonemes:
            current.append('k' if voice == 'pt-br' and ch == 'c' else ch)
        if sentence_end:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def to_ids(phonemes: list[str]) -> list[int]:
    ids = ID_MAP['^'] + ID_MAP['_']
    for p in phonemes:
        if p in ID_MAP:
            ids += ID_MAP[p] + ID_MAP['_']
    return ids + ID_MAP['$']


result = {voice: {t: [to_ids(s) for s in sentences(t, voice)] for t in texts} for voice, texts in SENTENCES.items()}
json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write('\n')
