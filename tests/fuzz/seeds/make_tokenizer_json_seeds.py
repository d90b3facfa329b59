#!/usr/bin/env python3
"""Writes the seed corpus tests/fuzz/seeds/tokenizer_json/*.json for
fuzz_tokenizer_json: valid tokenizers and a few mutations of them, one per
rule of Tokenizer::from_json. real_bass_500.json (a tokenizer trained by prep
on the bass corpus, 303 merges) is committed as is, not written here.
Regenerate with:  python3 tests/fuzz/seeds/make_tokenizer_json_seeds.py
"""
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer_json")


def tok(merges, vocab_size=None, **extra):
    d = {"format": "accompanist-tokenizer", "version": 1, "base": "remi-miditok-2.1",
         "vocab_size": 197 + len(merges) if vocab_size is None else vocab_size, "merges": merges}
    d.update(extra)
    return json.dumps(d, separators=(",", ":")) + "\n"


SMALL = [[4, 4], [197, 4], [4, 165], [98, 102], [199, 60], [201, 200]]
SEEDS = {
    # Valid: canonical bytes, no merges, pretty-printed with the keys reordered, a doubling chain.
    "canonical.json": tok(SMALL),
    "plain_remi.json": tok([]),
    "pretty.json": json.dumps({"merges": [[4, 4], [197, 4]], "vocab_size": 199, "base": "remi-miditok-2.1",
                               "version": 1, "format": "accompanist-tokenizer"}, indent=2),
    "chain.json": tok([[5, 5]] + [[197 + i, 197 + i] for i in range(8)]),
    # Invalid: each breaks one rule.
    "bad_vocab_size.json": tok(SMALL, vocab_size=200),
    "bad_special.json": tok([[4, 4], [0, 5]]),
    "bad_later_id.json": tok([[4, 198], [4, 5]]),
    "bad_repeat.json": tok([[4, 5], [4, 5]]),
    "bad_unknown_key.json": tok(SMALL, extra=1),
    "bad_version.json": tok(SMALL).replace('"version":1', '"version":2'),
    "bad_format.json": tok(SMALL).replace("accompanist-tokenizer", "accompanist-corpus"),
    "bad_id_type.json": tok([[4, 4.0]]),
    "bad_id_range.json": tok([[4, 4294967296]]),
    "bad_merge_shape.json": tok([[4, 4, 4]]),
    "bad_json.json": tok(SMALL)[:-10],
    "bad_not_object.json": "[1, 2, 3]\n",
}

os.makedirs(OUT, exist_ok=True)
for name, text in SEEDS.items():
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)
