#!/usr/bin/python3
"""PyTorch side of `bench/perf/proxies.ts` and `bench/perf/naswot-deep.ts`: NASWOT as
BayesWatch/nas-without-training computes it (torch.no_grad, hooks on every nn.ReLU reading its
*input*, BN in train mode), with the kernel done as one float32 matmul per ReLU layer summed in
float64: K += 2·c·cᵀ − s·1ᵀ − 1·sᵀ + N_l (s = row sums), score = slogdet(K in float64)[1].
The official code's extra forward+backward (only to mark hooked modules as visited) is skipped,
as in tsnas: it does not change K. Hooks go on nn.ReLU modules only, as tsnas reads every ReLU
input once per ReLU (BayesWatch's name test also hooks ReLUConvBN wrappers, a second copy of the
same codes).

Networks: NAS-Bench-201's TinyNetwork (C=16, N=5) here; the DARTS evaluation network (C=36, 20
cells) and NAS-Bench-101's (stem 128, 3×3 cells) in torch_deep_nets.py.

Usage:
  many NB201 cells in one process (proxies.ts; N(0,1) input):
    /usr/bin/python3 bench/perf/torch_naswot.py --arch-file FILE --batch 128 --threads 2 --json
  one network per process (naswot-deep.ts), with its start-up, build, baseline and peak RSS:
    /usr/bin/python3 bench/perf/torch_naswot.py --space darts --arch "Genotype(...)" --input batch.f32 \
      --expect-params N --passes 2 --threads 2
Run with Debian's interpreter (package python3-torch).
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from torch_deep_nets import DartsNetwork, Nb101Network


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


def relu_modules(net):
    """The hooked modules: nn.ReLU only. BayesWatch's test `'ReLU' in str(type(module))` also matches
    wrapper classes such as ReLUConvBN, whose input is their inner ReLU's: a second copy of those codes."""
    return [m for m in net.modules() if isinstance(m, nn.ReLU)]


def naswot(net, x):
    b = x.shape[0]
    # float64 sum as BayesWatch's numpy K: a deep network's total unit count exceeds float32's
    # exact integers (2^24), one layer's does not
    state = {'K': torch.zeros(b, b, dtype=torch.float64)}

    def hook(module, inp, out):
        c = (inp[0].reshape(b, -1) > 0).float()
        s = c.sum(1, keepdim=True)
        state['K'] += (2 * (c @ c.t()) - s - s.t() + c.shape[1]).double()

    hs = [m.register_forward_hook(hook) for m in relu_modules(net)]
    with torch.no_grad():
        net(x)
    for h in hs:
        h.remove()
    return float(np.linalg.slogdet(state['K'].double().numpy())[1])


def rss_mb(field):
    """VmRSS (now) or VmHWM (peak since start) of this process, MB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f'{field} not in /proc/self/status')


def build(space, arch):
    if space == 'nb201':
        return TinyNetwork(arch)
    if space == 'darts':
        return DartsNetwork(arch)
    if space == 'nb101':
        cell = json.loads(arch)
        return Nb101Network(cell['matrix'], cell['ops'])
    raise ValueError(f'unknown space {space}')


def structure(net):
    """Parameters, and the ReLU hooks and units (per image) NASWOT counts in a forward pass at batch 2."""
    seen = {'relus': 0, 'units': 0}

    def hook(module, inp, out):
        seen['relus'] += 1
        seen['units'] += inp[0][0].numel()

    hs = [m.register_forward_hook(hook) for m in relu_modules(net)]
    with torch.no_grad():
        net.train()(torch.randn(2, 3, 32, 32))
    for h in hs:
        h.remove()
    return {'params': sum(p.numel() for p in net.parameters()), **seen}


def load_input(path, batch):
    """A float32 NHWC batch written by bench/perf/naswot-deep.ts, as NCHW; N(0,1) without a file."""
    if not path:
        return torch.randn(batch, 3, 32, 32)
    a = np.fromfile(path, dtype=np.float32)
    if a.size != batch * 32 * 32 * 3:
        raise SystemExit(f'{path}: {a.size} floats, expected {batch}×32×32×3')
    return torch.from_numpy(a.reshape(batch, 32, 32, 3).transpose(0, 3, 1, 2).copy())


def one_network(a):
    """Score one network in this process: start-up, build, baseline RSS, `passes` timed passes, peak RSS."""
    x = load_input(a.input, a.batch)
    startup = time.time() - a.t0 if a.t0 else None
    t0 = time.perf_counter()
    net = build(a.space, a.arch)
    net.train()
    build_s = time.perf_counter() - t0
    params = sum(p.numel() for p in net.parameters())
    print(f'params: torch {params}, tsnas {a.expect_params}', file=sys.stderr)
    if a.expect_params is not None and params != a.expect_params:
        print(f'PARAMETER MISMATCH for {a.space} {a.arch}: torch {params} != tsnas {a.expect_params}', file=sys.stderr)
        sys.exit(3)
    baseline = rss_mb('VmRSS')
    seconds, cpu, peaks = [], [], []
    for _ in range(a.passes):
        t0, c0 = time.perf_counter(), time.process_time()
        score = naswot(net, x)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        peaks.append(rss_mb('VmHWM'))
    out = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'space': a.space,
        'params': params,
        'naswot': score,
        'startup_s': startup,
        'build_s': build_s,
        'seconds': seconds,
        'cpu_s': cpu,
        'baseline_rss_mb': baseline,
        'peak_rss_mb': peaks[-1],
        'peak_rss_first_pass_mb': peaks[0],
    }
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch-file', help='NB201 cells, one a line, each scored in turn (bench/perf/proxies.ts)')
    ap.add_argument('--space', choices=['nb201', 'darts', 'nb101'], default='nb201')
    ap.add_argument('--arch', help='one architecture of --space (DARTS Genotype(...) text, NB101 JSON): one network per process')
    ap.add_argument('--params-of', help='JSON file [{"space", "arch"}, ...]: print each network\'s parameters, ReLU hooks and units as a JSON list, score nothing')
    ap.add_argument('--input', help='float32 NHWC batch file (default: N(0,1))')
    ap.add_argument('--expect-params', type=int, help="tsnas's parameter count of the network; a mismatch exits with status 3")
    ap.add_argument('--passes', type=int, default=1)
    ap.add_argument('--t0', type=float, help='epoch seconds when the parent spawned this process (start-up time)')
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.params_of:
        print(json.dumps([structure(build(r['space'], r['arch'])) for r in json.load(open(a.params_of))]))
        return
    if a.arch is not None:
        one_network(a)
        return
    if not a.arch_file:
        ap.error('give --arch or --arch-file')
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
