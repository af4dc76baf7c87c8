"""Baseline for train.bench.mjs: the same MLP head trained in python3-torch.

Linear(D, 256) + ReLU + Dropout(0.2) + Linear(256, 1), BCEWithLogits, AdamW (lr 1e-3, weight
decay 1e-4), batches of 512 in a fresh random order each epoch, on the given number of threads.
usage: train-torch.py x.bin y.bin dim first_row threads epochs
Prints one JSON line: rows, seconds of each epoch.
"""
import json
import sys
import time

import numpy as np
import torch

xb, yb, dim, first, threads, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
torch.manual_seed(0)
x = torch.from_numpy(np.fromfile(xb, dtype=np.float32).reshape(-1, dim)[first:].copy())
y = torch.from_numpy(np.fromfile(yb, dtype=np.uint8)[first:].astype(np.float32))
model = torch.nn.Sequential(torch.nn.Linear(dim, 256), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(256, 1))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
loss_fn = torch.nn.BCEWithLogitsLoss()
times = []
model.train()
for _ in range(epochs):
    t = time.time()
    order = torch.randperm(len(y))
    for s in range(0, len(y), 512):
        idx = order[s : s + 512]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]).squeeze(1), y[idx])
        loss.backward()
        opt.step()
    times.append(time.time() - t)
print(json.dumps({"rows": len(y), "epoch_s": times, "torch": torch.__version__}))
