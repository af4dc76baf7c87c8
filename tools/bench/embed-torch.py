"""Baseline for embed.bench.mjs: ResNet-18 in python3-torch on the same JPEGs as wsi-embed.

torchvision's ResNet-18 topology up to the pooled features, with BatchNorm folded into the
convolution biases as in libs/models' ONNX graph (the weights do not change the speed). Each batch:
decode (PIL), resize to 224 (bilinear), ImageNet mean/std, then the forward pass under no_grad,
on the given number of threads. Prints one JSON line: images, loop seconds, start-up seconds.
usage: embed-torch.py jpegs.bin threads batch
"""
import io
import json
import struct
import sys
import time

t0 = time.time()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

path, threads, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PX = 224
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)


def conv(cin, cout, k, stride):
    return torch.nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=True)


class Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = conv(cin, cout, 3, stride)
        self.c2 = conv(cout, cout, 3, 1)
        self.down = conv(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.c2(F.relu(self.c1(x)))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv(3, 64, 7, 2)
        layers, cin = [], 64
        for stage, cout in enumerate([64, 128, 256, 512]):
            layers += [Block(cin, cout, 1 if stage == 0 else 2), Block(cout, cout, 1)]
            cin = cout
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        return torch.flatten(F.adaptive_avg_pool2d(self.layers(x), 1), 1)


jpegs = []
with open(path, "rb") as f:
    data = f.read()
off = 0
while off < len(data):
    (n,) = struct.unpack_from("<I", data, off)
    jpegs.append(data[off + 4 : off + 4 + n])
    off += 4 + n

model = ResNet18().eval()
mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
startup = time.time() - t0
t1 = time.time()
dim = 0
with torch.no_grad():
    for s in range(0, len(jpegs), batch):
        arrs = []
        for j in jpegs[s : s + batch]:
            img = Image.open(io.BytesIO(j)).convert("RGB").resize((PX, PX), Image.BILINEAR)
            arrs.append((np.asarray(img, dtype=np.float32) / 255.0 - mean) / std)
        x = torch.from_numpy(np.stack(arrs).transpose(0, 3, 1, 2).copy())
        dim = model(x).shape[1]
loop = time.time() - t1
print(json.dumps({"images": len(jpegs), "dim": dim, "loop_s": loop, "startup_s": startup, "torch": torch.__version__}))
