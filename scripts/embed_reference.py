#!/usr/bin/env python3
"""Reference sentence embeddings for tests/embedder.rs, computed without recap or candle.

A plain NumPy forward pass of the BERT encoder in the embedder's folder (the Hugging Face
`tokenizers` package for the token ids), mean pooling over the tokens, L2 normalisation:
what sentence-transformers does for all-MiniLM-L6-v2.

    python3 -m pip install numpy tokenizers safetensors
    python3 scripts/embed_reference.py "$(recap models path all-minilm-l6-v2)" \
        > tests/fixtures/embed/reference.json
"""
import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "Send the revised budget to finance by Friday.",
    "Email the updated budget numbers to the finance team before the end of the week.",
    "We decided to use a rubber case for the remote control.",
    "The group agreed the remote will have a rubber casing.",
    "The weather was nice during the offsite.",
]

erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def encode(weights, config, ids):
    w = lambda name: weights[name].astype(np.float64)
    n = len(ids)
    h = w("embeddings.word_embeddings.weight")[ids]
    h = h + w("embeddings.position_embeddings.weight")[:n]
    h = h + w("embeddings.token_type_embeddings.weight")[0]
    eps = config["layer_norm_eps"]
    h = layer_norm(h, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
    heads = config["num_attention_heads"]
    d = config["hidden_size"] // heads
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        lin = lambda x, name: x @ w(p + name + ".weight").T + w(p + name + ".bias")
        q = lin(h, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(h, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(h, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(1, 0, 2).reshape(n, heads * d)
        h = layer_norm(h + lin(ctx, "attention.output.dense"),
                       w(p + "attention.output.LayerNorm.weight"),
                       w(p + "attention.output.LayerNorm.bias"), eps)
        mid = lin(h, "intermediate.dense")
        mid = 0.5 * mid * (1.0 + erf(mid / math.sqrt(2.0)))
        h = layer_norm(h + lin(mid, "output.dense"),
                       w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), eps)
    v = h.mean(0)
    return v / np.linalg.norm(v)


def main():
    folder = sys.argv[1]
    config = json.load(open(f"{folder}/config.json"))
    weights = load_file(f"{folder}/model.safetensors")
    tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
    tokenizer.no_padding()
    vectors = [encode(weights, config, tokenizer.encode(s).ids) for s in SENTENCES]
    cosines = [[float(a @ b) for b in vectors] for a in vectors]
    json.dump({
        "sentences": SENTENCES,
        "vectors": [[round(float(x), 6) for x in v] for v in vectors],
        "cosines": [[round(c, 6) for c in row] for row in cosines],
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
