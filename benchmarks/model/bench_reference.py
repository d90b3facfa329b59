#!/usr/bin/python3
"""Python (PyTorch) baseline for benchmarks/model: one training step of the
SPEC section 5 Transformer, batched, with the relative term by skewing (the
usual PyTorch Music Transformer formulation), so that the C++ model is
compared with a fair Python implementation of the same computation.

Run by bench_model (`bench_model python`), which passes the same sizes and
thread count and reads the JSON line this prints; by hand:
  /usr/bin/python3 benchmarks/model/bench_reference.py --len 256 --batch 4 --threads 1
"""
import argparse
import json
import math
import os
import time

# As bench_model and the trainer: OpenBLAS at one thread inside torch's pool
# (read when the library loads, so before importing torch).
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS = 0, 1, 2


def skew_causal(qe):  # qe [B, H, L, L], column c = distance c-(L-1)
    B, H, L, _ = qe.shape
    return F.pad(qe, (1, 0)).reshape(B, H, L + 1, L)[:, :, 1:, :]


def skew_bidirectional(qe):  # qe [B, H, L, 2L-1], column c = distance c-(L-1)
    B, H, L, _ = qe.shape
    flat = F.pad(qe, (0, 1)).reshape(B, H, 2 * L * L)[:, :, L - 1 : L - 1 + L * (2 * L - 1)]
    return flat.reshape(B, H, L, 2 * L - 1)[..., :L]


class Attention(nn.Module):
    def __init__(self, d, heads, dropout, mode, R):
        super().__init__()
        self.h, self.dk, self.mode, self.R, self.p = heads, d // heads, mode, R, dropout
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        if mode == "causal":
            self.rel = nn.Parameter(torch.randn(heads, R, self.dk) / math.sqrt(self.dk))
        elif mode == "bidir":
            self.rel = nn.Parameter(torch.randn(heads, 2 * R - 1, self.dk) / math.sqrt(self.dk))

    def split(self, x):
        B, L, _ = x.shape
        return x.view(B, L, self.h, self.dk).transpose(1, 2)

    def forward(self, x, mem, mask):
        q = self.split(self.q(x)) / math.sqrt(self.dk)
        k, v = self.split(self.k(mem)), self.split(self.v(mem))
        s = q @ k.transpose(-1, -2)
        L, R = q.shape[2], self.R
        if self.mode == "causal":
            assert L <= R
            s = s + skew_causal(q @ self.rel[:, R - L :].transpose(-1, -2))
        elif self.mode == "bidir":
            assert L <= R
            s = s + skew_bidirectional(q @ self.rel[:, R - L : R + L - 1].transpose(-1, -2))
        s = s.masked_fill(mask, float("-inf"))
        w = F.dropout(s.softmax(-1), self.p, self.training)
        out = (w @ v).transpose(1, 2).reshape(x.shape)
        return self.o(out)


class FFN(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = Attention(c["d_model"], c["heads"], c["dropout"], "bidir", c["R"])
        self.norm1, self.norm2 = nn.LayerNorm(c["d_model"]), nn.LayerNorm(c["d_model"])
        self.ffn, self.p = FFN(c["d_model"], c["ff"]), c["dropout"]

    def forward(self, x, mask):
        x = self.norm1(x + F.dropout(self.self_attn(x, x, mask), self.p, self.training))
        return self.norm2(x + F.dropout(self.ffn(x), self.p, self.training))


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.self_attn = Attention(d, c["heads"], c["dropout"], "causal", c["R"])
        self.cross_attn = Attention(d, c["heads"], c["dropout"], "none", c["R"])
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.ffn, self.p = FFN(d, c["ff"]), c["dropout"]

    def forward(self, x, self_mask, mem, mem_mask):
        x = self.norm1(x + F.dropout(self.self_attn(x, x, self_mask), self.p, self.training))
        x = self.norm2(x + F.dropout(self.cross_attn(x, mem, mem_mask), self.p, self.training))
        return self.norm3(x + F.dropout(self.ffn(x), self.p, self.training))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, V = c["d_model"], c["vocab"]
        self.c = c
        self.src_embed, self.tgt_embed = nn.Embedding(V, d), nn.Embedding(V, d)
        self.enc = nn.ModuleList(EncoderLayer(c) for _ in range(c["enc_layers"]))
        self.dec = nn.ModuleList(DecoderLayer(c) for _ in range(c["dec_layers"]))
        self.out_proj = nn.Linear(d, V)
        n = c["max_len"]
        pos = torch.arange(n, dtype=torch.float64).unsqueeze(1)
        angle = pos * torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
        pe = torch.zeros(n, d, dtype=torch.float64)
        pe[:, 0::2], pe[:, 1::2] = angle.sin(), angle.cos()
        self.register_buffer("pe", pe.float())

    def embed(self, table, tokens):
        x = table(tokens) * math.sqrt(self.c["d_model"]) + self.pe[: tokens.shape[1]]
        return F.dropout(x, self.c["dropout"], self.training)

    def forward(self, src, dec_in):
        B, S = src.shape
        T = dec_in.shape[1]
        src_mask = (src == PAD).view(B, 1, 1, S)
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        self_mask = (dec_in == PAD).view(B, 1, 1, T) | causal
        x = self.embed(self.src_embed, src)
        for layer in self.enc:
            x = layer(x, src_mask)
        y = self.embed(self.tgt_embed, dec_in)
        for layer in self.dec:
            y = layer(y, self_mask, x, src_mask)
        return self.out_proj(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--len", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: torch.autocast('cpu', dtype=torch.bfloat16) around the forward pass")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = dict(d_model=256, enc_layers=6, dec_layers=6, heads=4, ff=128, dropout=0.1, max_len=1500, R=1500, vocab=500)
    model = Model(c)
    model.train()
    adam = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    L, B = args.len, args.batch
    src = torch.randint(3, c["vocab"], (B, L))
    dec_in = torch.randint(3, c["vocab"], (B, L))
    dec_in[:, 0] = BOS
    labels = torch.randint(3, c["vocab"], (B, L))

    def step():
        adam.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            logits = model(src, dec_in)
        loss = F.cross_entropy(logits.float().reshape(-1, c["vocab"]), labels.reshape(-1), ignore_index=PAD)
        loss.backward()
        adam.step()

    for _ in range(args.warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    dt = (time.perf_counter() - t0) / args.steps
    cpu = (time.process_time() - c0) / args.steps
    print(json.dumps({"bench": "python_train_step", "torch": torch.__version__, "precision": args.precision,
                      "threads": args.threads, "len": L,
                      "batch": B, "step_s": dt, "step_cpu_s": cpu, "tokens_per_s": 2 * B * L / dt}))


if __name__ == "__main__":
    main()
