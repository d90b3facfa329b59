#!/usr/bin/python3
"""Independent reference of the accompanist Transformer (SPEC section 5).

Written from the SPEC text, not from the C++ code: the relative term is
computed by its definition with an explicit gather (an L x L x dk tensor,
fine for the tiny models of the tests), masks are built per pair, and every
pair is run alone, unpadded, in float64.

Bar alignment (model.bar_alignment, beyond SPEC section 5; docs/model.md),
from its definition: a token's bar index is the number of Bar tokens in the
expansions of the tokens up to and including it, minus one, and 0 before the
first Bar (--bar-counts gives the Bar tokens of each id); `embeddings` adds
src_bar_embed / tgt_bar_embed rows (index clamped to max_bars - 1) to the token
embeddings before the sqrt(d) scaling; `window` hides from a target token in
bar b the source tokens outside bars b - window_before .. b + window_after,
unless that hides every key (then none is hidden); `bias` adds
cross_attn.bar_bias[h, clamp(key bar - query bar, -D, D) + D] after the
1/sqrt(dk) scaling.

Chord conditioning (model.chord_conditioning, docs/model.md): given the
chord id of every source bar (--bar-chords, one list per pair), `source` adds
src_chord_embed[chord of the token's bar] to each source token's embedding and
`target` adds tgt_chord_embed[chord of the position's bar] to each decoder
input position's (0 for a bar past the list), before the sqrt(d) scaling.
Bar indices as above (--bar-counts is required too).

Usage (the C++ tests tests/model/io_test.cpp and bar_alignment_test.cpp run it
at test time, nothing is committed, so there is nothing to regenerate):
  /usr/bin/python3 tests/reference/model_reference.py \
      --weights weights.h5 --pairs pairs.h5 [--bar-counts counts.json] [--bar-chords chords.json] --out reference.h5
weights.h5: `accompanist export` format (SPEC section 9): /weights/<name>
float32 datasets, root attribute `config` (JSON).
pairs.h5: groups /pair_NNNN with `source` and `target` token ids (the
`accompanist score --logits` layout). reference.h5 gets /pair_NNNN/logits
[min(len(target)+1, max_len), V] float64 and the dataset `mean_loss` [1]
(mean cross entropy over all labels of all pairs).
"""
import argparse
import json
import math

import h5py
import numpy as np
import torch

PAD, BOS, EOS = 0, 1, 2


class Reference:
    def __init__(self, path, dtype=torch.float64, bar_counts=None):
        self.bar_chords = []  # the current pair's chord id per source bar
        with h5py.File(path, "r") as f:
            self.cfg = json.loads(f.attrs["config"])
            self.w = {k: torch.tensor(np.array(v), dtype=dtype) for k, v in f["weights"].items()}
        self.dtype = dtype
        self.bars_cfg = self.cfg.get("bar_alignment", {})
        self.chords_cfg = self.cfg.get("chord_conditioning", {})
        if (self.bars_cfg or self.chords_cfg) and bar_counts is None:
            raise SystemExit("error: the model needs bar indices: --bar-counts is required")
        self.bar_counts = bar_counts or []

    def bar_indices(self, tokens):
        out, seen = [], 0
        for t in tokens:
            seen += self.bar_counts[t] if 0 <= t < len(self.bar_counts) else 0
            out.append(max(0, seen - 1))
        return out

    # ---- building blocks -------------------------------------------------
    def linear(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def layer_norm(self, x, name):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"],
                                              eps=1e-5)

    def positional(self, length):
        d = self.cfg["d_model"]
        pe = np.zeros((length, d))
        for pos in range(length):
            for i in range(0, d, 2):
                angle = pos / (10000 ** (i / d))
                pe[pos, i] = math.sin(angle)
                if i + 1 < d:
                    pe[pos, i + 1] = math.cos(angle)
        return torch.tensor(pe, dtype=self.dtype)

    def embed(self, tokens, table, bar_table=None, chord_table=None, chord_key=None):
        d = self.cfg["d_model"]
        x = self.w[table][tokens]
        if bar_table is not None and self.bars_cfg.get("embeddings"):
            top = self.bars_cfg["max_bars"] - 1
            x = x + self.w[bar_table][[min(b, top) for b in self.bar_indices(tokens)]]
        if chord_table is not None and self.chords_cfg.get(chord_key):
            chords = self.bar_chords
            ids = [chords[b] if 0 <= b < len(chords) else 0 for b in self.bar_indices(tokens)]
            x = x + self.w[chord_table][ids]
        return x * math.sqrt(d) + self.positional(len(tokens))

    def relative_term(self, q, rel, causal):
        """S_rel[h,i,j] = q[h,i] . rel[h, j-i+R-1] where the distance is covered, else 0."""
        H, L, dk = q.shape
        R = self.cfg["max_relative_distance"]
        i = torch.arange(L).view(L, 1)
        j = torch.arange(L).view(1, L)
        dist = j - i
        valid = (dist >= -(R - 1)) & (dist <= (0 if causal else R - 1))
        index = (dist + R - 1).clamp(0, rel.shape[1] - 1)  # [L, L]
        gathered = rel[:, index, :]  # [H, L, L, dk]: the explicit form the C++ avoids
        s = torch.einsum("hid,hijd->hij", q, gathered)
        return s * valid.to(self.dtype)

    def attention(self, x, memory, name, key_tokens, mode, query_tokens=None):
        """mode: 'bidir', 'causal' or 'cross'. x [Lq, d], memory [Lk, d]."""
        H = self.cfg["heads"]
        d = self.cfg["d_model"]
        dk = d // H
        q = self.linear(x, name + ".q").view(-1, H, dk).transpose(0, 1)  # [H, Lq, dk]
        k = self.linear(memory, name + ".k").view(-1, H, dk).transpose(0, 1)
        v = self.linear(memory, name + ".v").view(-1, H, dk).transpose(0, 1)
        scores = q @ k.transpose(1, 2)
        if mode != "cross":
            scores = scores + self.relative_term(q, self.w[name + ".rel"], causal=(mode == "causal"))
        scores = scores / math.sqrt(dk)
        mask = torch.zeros(scores.shape[1:], dtype=torch.bool)
        mask |= (torch.tensor(key_tokens) == PAD).view(1, -1)
        if mode == "cross" and self.bars_cfg:
            a = self.bars_cfg
            qb, kb = self.bar_indices(query_tokens), self.bar_indices(key_tokens)
            for i in range(len(qb)):
                for j in range(len(kb)):
                    dist = kb[j] - qb[i]
                    if a.get("bias"):
                        D = a["bias_distance"]
                        scores[:, i, j] += self.w[name + ".bar_bias"][:, max(-D, min(D, dist)) + D]
                if a.get("window"):
                    hidden = [not (-a["window_before"] <= kb[j] - qb[i] <= a["window_after"]) for j in range(len(kb))]
                    if not all(h or m for h, m in zip(hidden, mask[i].tolist())):
                        mask[i] |= torch.tensor(hidden)
        if mode == "causal":
            L = scores.shape[1]
            mask |= torch.ones(L, L, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v  # [H, Lq, dk]
        return self.linear(out.transpose(0, 1).reshape(-1, d), name + ".o")

    def ffn(self, x, name):
        return self.linear(torch.relu(self.linear(x, name + ".fc1")), name + ".fc2")

    # ---- the model -------------------------------------------------------
    def logits(self, source, target):
        cfg = self.cfg
        max_len = cfg["max_len"]
        src = list(source)[:max_len]
        dec_in = ([BOS] + list(target))[:max_len]
        x = self.embed(src, "src_embed.weight", "src_bar_embed.weight", "src_chord_embed.weight", "source")
        for i in range(cfg["enc_layers"]):
            p = f"encoder.layers.{i}"
            x = self.layer_norm(x + self.attention(x, x, p + ".self_attn", src, "bidir"), p + ".norm1")
            x = self.layer_norm(x + self.ffn(x, p + ".ffn"), p + ".norm2")
        memory = x
        y = self.embed(dec_in, "tgt_embed.weight", "tgt_bar_embed.weight", "tgt_chord_embed.weight", "target")
        for i in range(cfg["dec_layers"]):
            p = f"decoder.layers.{i}"
            y = self.layer_norm(y + self.attention(y, y, p + ".self_attn", dec_in, "causal"), p + ".norm1")
            y = self.layer_norm(y + self.attention(y, memory, p + ".cross_attn", src, "cross", dec_in), p + ".norm2")
            y = self.layer_norm(y + self.ffn(y, p + ".ffn"), p + ".norm3")
        return self.linear(y, "out_proj")

    def labels(self, target):
        return (list(target) + [EOS])[: self.cfg["max_len"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bar-counts", help="JSON list: Bar tokens in each id's expansion")
    ap.add_argument("--bar-chords", help="JSON list of lists: each pair's chord id per source bar")
    args = ap.parse_args()
    counts = None
    if args.bar_counts:
        with open(args.bar_counts) as f:
            counts = [int(c) for c in json.load(f)]
    model = Reference(args.weights, bar_counts=counts)
    bar_chords = None
    if args.bar_chords:
        with open(args.bar_chords) as f:
            bar_chords = json.load(f)
    elif model.chords_cfg:
        raise SystemExit("error: the model is conditioned on chords: --bar-chords is required")
    total, count = 0.0, 0
    with h5py.File(args.pairs, "r") as pairs, h5py.File(args.out, "w") as out:
        for n, name in enumerate(sorted(k for k in pairs.keys() if k.startswith("pair_"))):
            model.bar_chords = [int(c) for c in bar_chords[n]] if bar_chords else []
            source = [int(t) for t in pairs[name]["source"][()]]
            target = [int(t) for t in pairs[name]["target"][()]]
            with torch.no_grad():
                logits = model.logits(source, target)
            labels = torch.tensor(model.labels(target))
            total += torch.nn.functional.cross_entropy(logits, labels, reduction="sum").item()
            count += len(labels)
            out.create_dataset(f"{name}/logits", data=logits.numpy())
        out.create_dataset("mean_loss", data=np.array([total / max(count, 1)]))
    print(f"reference: {count} labels, mean loss {total / max(count, 1):.6f}")


if __name__ == "__main__":
    main()
