#!/usr/bin/python3
"""PyTorch side of `bench/perf/proxies.ts`: NASWOT on NAS-Bench-201 TinyNetworks (C=16, N=5, 10 classes),
as BayesWatch/nas-without-training computes it (hooks on every nn.ReLU reading its *input*, BN in
train mode), with the kernel done as one float32 matmul per ReLU layer:
K += 2·c·cᵀ − s·1ᵀ − 1·sᵀ + N_l (s = row sums), score = slogdet(K in float64)[1].
The official code's extra forward+backward (only to mark hooked modules as visited) is skipped,
as in tsnas: it does not change K. Input: a fixed N(0,1) batch (timing only).

Usage: /usr/bin/python3 bench/perf/torch_naswot.py --arch-file FILE --batch 128 --threads 2 --json
Run with Debian's interpreter (package python3-torch).
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(x)


def make_op(name, c):
    if name == 'none':
        return Zero()
    if name == 'skip_connect':
        return nn.Identity()
    if name == 'nor_conv_1x1':
        return ReLUConvBN(c, c, 1, 1, 0)
    if name == 'nor_conv_3x3':
        return ReLUConvBN(c, c, 3, 1, 1)
    if name == 'avg_pool_3x3':
        return Pool()
    raise ValueError(name)


def parse(arch):
    nodes = arch.split('+')
    out = []
    for j, node in enumerate(nodes):
        ops = [t.split('~') for t in node.strip('|').split('|')]
        out.append([(o, int(i)) for o, i in ops])
    return out


class Cell(nn.Module):
    def __init__(self, genotype, c):
        super().__init__()
        self.genotype = genotype
        self.edges = nn.ModuleList([make_op(o, c) for node in genotype for o, _ in node])

    def forward(self, x):
        nodes = [x]
        k = 0
        for node in self.genotype:
            s = 0
            for o, i in node:
                s = s + self.edges[k](nodes[i])
                k += 1
            nodes.append(s)
        return nodes[-1]


class ResBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2, 1)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.conv_b(self.conv_a(x)) + self.downsample(x)


class TinyNetwork(nn.Module):
    def __init__(self, arch, C=16, N=5, classes=10):
        super().__init__()
        g = parse(arch)
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells = []
        cp = C
        for stage, c in enumerate([C, 2 * C, 4 * C]):
            if stage > 0:
                cells.append(ResBlock(cp, c))
                cp = c
            cells += [Cell(g, c) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(cp), nn.ReLU(inplace=False))
        self.classifier = nn.Linear(cp, classes)

    def forward(self, x):
        h = self.stem(x)
        for c in self.cells:
            h = c(h)
        h = self.lastact(h)
        return self.classifier(h.mean(dim=(2, 3)))


def naswot(net, x):
    b = x.shape[0]
    state = {'K': torch.zeros(b, b, dtype=torch.float32)}

    def hook(module, inp, out):
        c = (inp[0].view(b, -1) > 0).float()
        s = c.sum(1, keepdim=True)
        state['K'] += 2 * (c @ c.t()) - s - s.t() + c.shape[1]

    hs = [m.register_forward_hook(hook) for m in net.modules() if 'ReLU' in type(m).__name__]
    with torch.no_grad():
        net(x)
    for h in hs:
        h.remove()
    return float(np.linalg.slogdet(state['K'].double().numpy())[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch-file', required=True)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    archs = [l.strip() for l in open(a.arch_file) if l.strip()]
    x = torch.randn(a.batch, 3, 32, 32)
    rows = []
    for arch in archs:
        t0 = time.perf_counter()
        net = TinyNetwork(arch)
        net.train()
        score = naswot(net, x)
        rows.append({'arch': arch, 'seconds': time.perf_counter() - t0, 'naswot': score})
        if not a.json:
            print(f"{rows[-1]['seconds']:.3f}s  {score:.3f}  {arch}", flush=True)
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'batch': a.batch, 'results': rows}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
