#!/usr/bin/python3
"""PyTorch side of `npm run bench:engine`: the nets of bench/perf/engine.ts in PyTorch.

ref_net: stem conv3x3 3->16 + BN, 3 stages x 5 blocks of ReLU-conv3x3-BN at 16/32/64 channels
(first block of stages 2 and 3: stride 2), global average pool, linear to 10 (bench/perf/ref-net.ts).
nb201_supernet: xautodl's TinyNetworkDarts (C16, N5, 32px), as src/nn/nb201-supernet.ts.
darts_supernet: quark0/darts model_search.Network (C8, 3 cells, 16px), as src/nn/darts-supernet.ts.
Times a training step (forward + backward + SGD-momentum update of every trainable tensor, α
included; softmax cross-entropy) and an inference forward (eval-mode BN, no autograd), median
of --reps after --warmup. Prints one JSON object with --json.
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


# ---- NB201 supernet (xautodl TinyNetworkDarts) ----------------------------------------------
NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, pad, dil=1, affine=True, bias=False):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, pad, dil, bias=bias), nn.BatchNorm2d(cout, affine=affine))

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x.mul(0.0) if self.stride == 1 else x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    def __init__(self, cin, cout, affine):
        super().__init__()
        self.relu = nn.ReLU()
        self.c1 = nn.Conv2d(cin, cout // 2, 1, 2, bias=False)
        self.c2 = nn.Conv2d(cin, cout - cout // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        y = F.pad(x, (0, 1, 0, 1))
        return self.bn(torch.cat([self.c1(x), self.c2(y[:, :, 1:, 1:])], dim=1))


class Pool(nn.Module):
    def __init__(self, kind, stride, c, bn_after):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride, 1, count_include_pad=False) if kind == "avg" else nn.MaxPool2d(3, stride, 1)
        self.bn = nn.BatchNorm2d(c, affine=False) if bn_after else None

    def forward(self, x):
        y = self.op(x)
        return self.bn(y) if self.bn is not None else y


class DilConv(nn.Module):
    def __init__(self, cin, cout, k, stride, pad, dil, affine):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cin, k, stride, pad, dil, groups=cin, bias=False),
                                nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout, affine=affine))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, cin, cout, k, stride, pad, affine):
        super().__init__()
        self.op = nn.Sequential(DilConv(cin, cin, k, stride, pad, 1, affine), DilConv(cin, cout, k, 1, pad, 1, affine))

    def forward(self, x):
        return self.op(x)


def make_op(name, c, stride, affine, pool_bn):
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, stride, 0, 1, affine, bias=not affine)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, stride, 1, 1, affine, bias=not affine)
    if name == "avg_pool_3x3":
        return Pool("avg", stride, c, pool_bn)
    if name == "max_pool_3x3":
        return Pool("max", stride, c, pool_bn)
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, c, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, c, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, c, 5, stride, 4, 2, affine)
    raise ValueError(name)


class MixedOp(nn.Module):
    def __init__(self, names, c, stride, affine, pool_bn=False):
        super().__init__()
        self.names = names
        self._ops = nn.ModuleList([make_op(n, c, stride, affine, pool_bn) for n in names])

    def forward(self, x, w):
        # `none` contributes w*0: skipped, as tsnas does (same value and gradients)
        return sum(w[i] * op(x) for i, (n, op) in enumerate(zip(self.names, self._ops)) if n != "none")


class ResNetBasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2, 1)
        self.b = ReLUConvBN(cout, cout, 3, 1, 1)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.down(x)


NB201_EDGES = [(j, i) for j in range(1, 4) for i in range(j)]


class Nb201SearchCell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.edges = nn.ModuleList([MixedOp(NB201_OPS, c, 1, affine=False) for _ in NB201_EDGES])

    def forward(self, x, ws):
        nodes = [x]
        for j in range(1, 4):
            nodes.append(sum(self.edges[e](nodes[i], ws[e]) for e, (to, i) in enumerate(NB201_EDGES) if to == j))
        return nodes[-1]


class Nb201Supernet(nn.Module):
    def __init__(self, C=16, N=5, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells, cprev = [], C
        for stage, c in enumerate([C, 2 * C, 4 * C]):
            if stage > 0:
                cells.append(ResNetBasicBlock(cprev, c))
                cprev = c
            cells += [Nb201SearchCell(c) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(cprev), nn.ReLU())
        self.classifier = nn.Linear(cprev, classes)
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(NB201_EDGES), len(NB201_OPS)))

    def forward(self, x):
        ws = F.softmax(self.alpha, dim=-1)
        h = self.stem(x)
        for cell in self.cells:
            h = cell(h, ws) if isinstance(cell, Nb201SearchCell) else cell(h)
        return self.classifier(self.lastact(h).mean((2, 3)))


# ---- DARTS supernet (quark0/darts model_search) ---------------------------------------------
DARTS_OPS = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
             "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"]


class DartsCell(nn.Module):
    def __init__(self, steps, mult, cpp, cp, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.pre0 = FactorizedReduce(cpp, c, False) if reduction_prev else ReLUConvBN(cpp, c, 1, 1, 0, 1, False)
        self.pre1 = ReLUConvBN(cp, c, 1, 1, 0, 1, False)
        self.steps, self.mult = steps, mult
        self._ops = nn.ModuleList()
        for i in range(steps):
            for j in range(2 + i):
                self._ops.append(MixedOp(DARTS_OPS, c, 2 if reduction and j < 2 else 1, False, pool_bn=True))

    def forward(self, s0, s1, ws):
        states = [self.pre0(s0), self.pre1(s1)]
        k = 0
        for _ in range(self.steps):
            s = sum(self._ops[k + j](h, ws[k + j]) for j, h in enumerate(states))
            k += len(states)
            states.append(s)
        return torch.cat(states[-self.mult:], dim=1)


class DartsSupernet(nn.Module):
    def __init__(self, C=8, layers=3, classes=10, steps=4, mult=4):
        super().__init__()
        cs = 3 * C
        self.stem = nn.Sequential(nn.Conv2d(3, cs, 3, padding=1, bias=False), nn.BatchNorm2d(cs))
        cpp, cp, cc = cs, cs, C
        self.cells = nn.ModuleList()
        red_prev = False
        for i in range(layers):
            red = i in (layers // 3, 2 * layers // 3)
            if red:
                cc *= 2
            self.cells.append(DartsCell(steps, mult, cpp, cp, cc, red, red_prev))
            red_prev = red
            cpp, cp = cp, mult * cc
        self.classifier = nn.Linear(cp, classes)
        k = sum(2 + i for i in range(steps))
        self.alpha_normal = nn.Parameter(1e-3 * torch.randn(k, len(DARTS_OPS)))
        self.alpha_reduce = nn.Parameter(1e-3 * torch.randn(k, len(DARTS_OPS)))

    def forward(self, x):
        s0 = s1 = self.stem(x)
        wn, wr = F.softmax(self.alpha_normal, dim=-1), F.softmax(self.alpha_reduce, dim=-1)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, wr if cell.reduction else wn)
        return self.classifier(s1.mean((2, 3)))


CASES = {
    "ref_net": (RefNet, 32),
    "nb201_supernet": (Nb201Supernet, 32),
    "darts_supernet": (DartsSupernet, 16),
}


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts), ts


class Runner:
    """One case's net, data, optimizer and its two timed steps."""

    def __init__(self, name, batch):
        torch.manual_seed(0)
        make, px = CASES[name]
        self.net = make()
        self.x = torch.randn(batch, 3, px, px)
        self.y = torch.arange(batch) % 10
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.01, momentum=0.9)

    def train(self):
        self.net.train()
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.net(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def forward(self):
        self.net.eval()
        with torch.no_grad():
            return self.net(self.x).sum().item()

    def forward_frozen(self):
        """Inference as PyTorch deploys it: traced, frozen and optimised for inference (conv-BN
        folding and oneDNN fusion of conv + ReLU), built once from the current weights."""
        if getattr(self, "frozen", None) is None:
            self.net.eval()
            with torch.no_grad():
                frozen = torch.jit.freeze(torch.jit.trace(self.net, self.x))
                # optimize_for_inference's oneDNN BN needs affine BN; the supernets' BN has none
                affine = all(m.affine for m in self.net.modules() if isinstance(m, nn.BatchNorm2d))
                self.frozen = torch.jit.optimize_for_inference(frozen) if affine else frozen
        with torch.no_grad():
            return self.frozen(self.x).sum().item()


def serve(batch):
    """Line protocol for timing next to tsnas (bench/perf/engine.ts): `case NAME`, then `train`,
    `forward` or `forward_frozen` (one timed run, reply {"ms": t}; with `REPS WARMUP` after the
    command, a block: {"ms": [t, ...]}), `quit`."""
    import sys
    runner = None
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "mkldnn": torch.backends.mkldnn.is_available()}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "case":
                runner = Runner(cmd[1], batch)
                print(json.dumps({"ok": True}), flush=True)
            elif cmd[0] in ("train", "forward", "forward_frozen"):
                # `CMD` times one run; `CMD REPS WARMUP` times a block of REPS after WARMUP
                fn = {"train": runner.train, "forward": runner.forward, "forward_frozen": runner.forward_frozen}[cmd[0]]
                if len(cmd) == 1:
                    t0 = time.perf_counter()
                    fn()
                    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}), flush=True)
                else:
                    for _ in range(int(cmd[2]) if len(cmd) > 2 else 0):
                        fn()
                    ts = []
                    for _ in range(int(cmd[1])):
                        t0 = time.perf_counter()
                        fn()
                        ts.append((time.perf_counter() - t0) * 1000)
                    print(json.dumps({"ms": ts}), flush=True)
            elif cmd[0] == "quit":
                break
        except Exception as e:  # report, keep serving
            print(json.dumps({"error": str(e)}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--cases", default="ref_net")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.serve:
        return serve(a.batch)
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "batch": a.batch,
        "cases": {},
    }
    for name in [c for c in a.cases.split(",") if c]:
        r = Runner(name, a.batch)
        train_ms, train_all = median_ms(r.train, a.warmup, a.reps)
        fwd_ms, fwd_all = median_ms(r.forward, a.warmup, a.reps)
        frz_ms, frz_all = median_ms(r.forward_frozen, a.warmup, a.reps)
        out["cases"][name] = {"train_ms": train_ms, "forward_ms": fwd_ms, "forward_frozen_ms": frz_ms,
                              "train_all": train_all, "forward_all": fwd_all, "forward_frozen_all": frz_all}
        if not a.json:
            print(f"{name}: train {train_ms:.1f} ms, forward {fwd_ms:.1f} ms, frozen forward {frz_ms:.1f} ms")
    if a.json:
        print(json.dumps(out))
    else:
        print(f"torch {out['torch']} ({out['threads']} threads, mkldnn={out['mkldnn']})")


if __name__ == "__main__":
    main()
