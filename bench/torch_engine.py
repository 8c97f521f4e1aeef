#!/usr/bin/python3
"""PyTorch side of `npm run bench:engine`: the reference net of bench/ref-net.ts in PyTorch.

stem conv3x3 3->16 + BN, 3 stages x 5 blocks of ReLU-conv3x3-BN at 16/32/64 channels (first
block of stages 2 and 3: stride 2), global average pool, linear to 10. Times a training step
(forward + backward + SGD-momentum update, softmax cross-entropy) and an inference forward
(eval-mode BN, no autograd), median of --reps after --warmup. Prints one JSON object.
Run with Debian's interpreter (`/usr/bin/python3`, package python3-torch).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RefNet(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks=5, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        layers = []
        cin = widths[0]
        for stage, c in enumerate(widths):
            for i in range(blocks):
                stride = 2 if stage > 0 and i == 0 else 1
                layers += [nn.ReLU(), nn.Conv2d(cin, c, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c)]
                cin = c
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        h = self.stem_bn(self.stem(x))
        h = self.body(h)
        return self.fc(h.mean((2, 3)))


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts), ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = RefNet()
    x = torch.randn(a.batch, 3, 32, 32)
    y = torch.arange(a.batch) % 10
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def train():
        net.train()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def forward():
        net.eval()
        with torch.no_grad():
            return net(x).sum().item()

    train_ms, train_all = median_ms(train, a.warmup, a.reps)
    fwd_ms, fwd_all = median_ms(forward, a.warmup, a.reps)
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "batch": a.batch,
        "ref_net": {"train_ms": train_ms, "forward_ms": fwd_ms, "train_all": train_all, "forward_all": fwd_all},
    }
    if a.json:
        print(json.dumps(out))
    else:
        print(f"torch {out['torch']} ({out['threads']} threads, mkldnn={out['mkldnn']}): "
              f"train {train_ms:.1f} ms, forward {fwd_ms:.1f} ms")


if __name__ == "__main__":
    main()
