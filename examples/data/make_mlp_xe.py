"""Writes examples/data/mlp_xe/*.npy: the inputs (x, labels) and the initial
params (w1, b1, w2, b2) of examples/mlp_xe.nj, one file per graph argument,
and prints the loss numpy computes for them (in float64 from the float32
values). Run from the repository root: /usr/bin/python3 examples/data/make_mlp_xe.py
"""
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp_xe")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240601)
B = 8
arrays = {
    "x": rng.standard_normal((B, 4)).astype(np.float32),
    "labels": rng.integers(0, 3, size=B).astype(np.int32),
    "w1": (0.5 * rng.standard_normal((4, 8))).astype(np.float32),
    "b1": np.full(8, 0.1, dtype=np.float32),
    "w2": (0.5 * rng.standard_normal((8, 3))).astype(np.float32),
    "b2": np.array([0.0, 0.1, -0.1], dtype=np.float32),
}
for name, value in arrays.items():
    np.save(os.path.join(out, name + ".npy"), value)

a = {k: v.astype(np.float64) for k, v in arrays.items()}
logits = np.tanh(a["x"] @ a["w1"] + a["b1"]) @ a["w2"] + a["b2"]
shifted = logits - logits.max(axis=1, keepdims=True)
log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
loss = -log_softmax[np.arange(B), arrays["labels"]].mean()
print("loss = %.9f" % loss)
