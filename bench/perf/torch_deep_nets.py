"""PyTorch versions of tsnas's deep evaluation networks, for `torch_naswot.py --space darts|nb101`.

Built to match src/nn/darts-net.ts, src/nn/ops.ts and src/nn/nb101-net.ts layer for layer, so
that the parameter counts are equal (torch_naswot.py checks them against tsnas's):

- DARTS NetworkCIFAR (quark0/darts model.py) as tsnas builds it for scoring: stem conv3×3 → 3C + BN,
  `layers` cells with reductions at layers//3 and 2·layers//3, preprocess ReLUConvBN 1×1 or
  FactorizedReduce after a reduction, the genotype's ops (pooling without BN, avg excluding pads,
  skip_connect as FactorizedReduce at stride 2), concat of the listed nodes, global pool, linear.
  No auxiliary head and no drop-path (neither is in a scoring pass here).
- NAS-Bench-101's network (nasbench model_builder.py): stem conv3×3-BN-ReLU, stacks of cells
  with a 2×2 max-pool and doubled channels between stacks, NB101's channel split among the vertices
  feeding the output, 1×1 projections of the cell input, sum at each vertex, concat (+ projection)
  at the output, global pool, linear. Cells are pruned as NB101's ModelSpec prunes them.
"""
import ast
from collections import namedtuple

import torch
import torch.nn as nn

Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')


# ---- DARTS ------------------------------------------------------------------------------------


def parse_genotype(text):
    """`Genotype(normal=[('op', i), ...], normal_concat=[2, 3, 4, 5] or range(2, 6), reduce=..., reduce_concat=...)`."""
    call = ast.parse(text.strip(), mode='eval').body
    if not (isinstance(call, ast.Call) and getattr(call.func, 'id', None) == 'Genotype'):
        raise ValueError(f'not a Genotype(...) text: {text[:60]}')

    def value(node):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'range':
            return list(range(*[ast.literal_eval(a) for a in node.args]))
        return [tuple(e) if isinstance(e, (list, tuple)) else e for e in ast.literal_eval(node)]

    kw = {k.arg: value(k.value) for k in call.keywords}
    return Genotype(**kw)


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    """ReLU → depthwise k×k (dilated) → pointwise 1×1 → BN."""

    def __init__(self, cin, cout, k, stride, pad, dilation):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(cin, cin, k, stride, pad, dilation=dilation, groups=cin, bias=False),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    """Two DilConvs with dilation 1, the first carrying the stride."""

    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(DilConv(cin, cin, k, stride, pad, 1), DilConv(cin, cout, k, 1, pad, 1))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    """ReLU → 1×1 stride-2 convs on x and on x shifted by one pixel → concat → BN."""

    def __init__(self, cin, cout):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(cin, cout // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(cin, cout - cout // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


def darts_op(name, c, stride):
    if name == 'none':
        return Zero(stride)
    if name == 'skip_connect':
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == 'avg_pool_3x3':
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == 'max_pool_3x3':
        return nn.MaxPool2d(3, stride, 1)
    if name == 'sep_conv_3x3':
        return SepConv(c, c, 3, stride, 1)
    if name == 'sep_conv_5x5':
        return SepConv(c, c, 5, stride, 2)
    if name == 'dil_conv_3x3':
        return DilConv(c, c, 3, stride, 2, 2)
    if name == 'dil_conv_5x5':
        return DilConv(c, c, 5, stride, 4, 2)
    raise ValueError(f'unknown DARTS op {name}')


class DartsCell(nn.Module):
    def __init__(self, g, cpp, cp, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = FactorizedReduce(cpp, c) if reduction_prev else ReLUConvBN(cpp, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(cp, c, 1, 1, 0)
        genes = g.reduce if reduction else g.normal
        self.concat = list(g.reduce_concat if reduction else g.normal_concat)
        self.inputs = [i for _, i in genes]
        self._ops = nn.ModuleList([darts_op(name, c, 2 if reduction and i < 2 else 1) for name, i in genes])

    @property
    def multiplier(self):
        return len(self.concat)

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(0, len(self._ops), 2):
            states.append(self._ops[k](states[self.inputs[k]]) + self._ops[k + 1](states[self.inputs[k + 1]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


class DartsNetwork(nn.Module):
    def __init__(self, genotype_text, C=36, layers=20, classes=10):
        super().__init__()
        g = parse_genotype(genotype_text)
        stem_c = 3 * C
        self.stem = nn.Sequential(nn.Conv2d(3, stem_c, 3, padding=1, bias=False), nn.BatchNorm2d(stem_c))
        cpp, cp, c = stem_c, stem_c, C
        reduction_prev = False
        cells = []
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            cell = DartsCell(g, cpp, cp, c, reduction, reduction_prev)
            cells.append(cell)
            reduction_prev = reduction
            cpp, cp = cp, cell.multiplier * c
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(cp, classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1.mean(dim=(2, 3)))


# ---- NAS-Bench-101 ----------------------------------------------------------------------------


def prune_nb101(matrix, ops):
    """Drop vertices not on a path from the input to the output (NB101 ModelSpec._prune)."""
    n = len(matrix)
    fwd, stack = {0}, [0]
    while stack:
        v = stack.pop()
        for w in range(v + 1, n):
            if matrix[v][w] and w not in fwd:
                fwd.add(w)
                stack.append(w)
    bwd, stack = {n - 1}, [n - 1]
    while stack:
        w = stack.pop()
        for v in range(w):
            if matrix[v][w] and v not in bwd:
                bwd.add(v)
                stack.append(v)
    keep = [v for v in range(n) if v in fwd and v in bwd]
    if 0 not in keep or n - 1 not in keep:
        raise ValueError('NB101 cell has no path from input to output')
    return [[matrix[a][b] for b in keep] for a in keep], [ops[v] for v in keep]


def nb101_vertex_channels(cin, cout, m):
    """model_builder.compute_vertex_channels: split cout among the vertices feeding the output."""
    n = len(m)
    ch = [0] * n
    ch[0], ch[n - 1] = cin, cout
    if n == 2:
        return ch
    fan_in = sum(m[v][n - 1] for v in range(1, n - 1))
    interior, correction = divmod(cout, fan_in)
    for v in range(1, n - 1):
        if m[v][n - 1]:
            ch[v] = interior + (1 if correction else 0)
            correction = max(0, correction - 1)
    for v in range(n - 3, 0, -1):
        if not m[v][n - 1]:
            for dst in range(v + 1, n - 1):
                if m[v][dst]:
                    ch[v] = max(ch[v], ch[dst])
    return ch


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        # TF's BN momentum 0.997 is PyTorch's 0.003; BN uses batch statistics in a scoring pass anyway
        self.op = nn.Sequential(nn.Conv2d(cin, cout, k, padding=(k - 1) // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-5, momentum=0.003), nn.ReLU(inplace=False))

    def forward(self, x):
        return self.op(x)


class Nb101Cell(nn.Module):
    def __init__(self, matrix, ops, cin, cout):
        super().__init__()
        self.m = matrix
        n = len(matrix)
        self.channels = nb101_vertex_channels(cin, cout, matrix)
        self.proj = nn.ModuleList()
        self.ops = nn.ModuleList()
        for t in range(1, n - 1):
            c = self.channels[t]
            self.proj.append(ConvBnRelu(cin, c, 1) if matrix[0][t] else nn.Identity())
            op = ops[t]
            self.ops.append(nn.MaxPool2d(3, 1, 1) if op == 'maxpool3x3' else ConvBnRelu(c, c, 3 if op == 'conv3x3-bn-relu' else 1))
        self.out_proj = ConvBnRelu(cin, cout, 1) if matrix[0][n - 1] else None

    def forward(self, x):
        m, n = self.m, len(self.m)
        tensors, concat = [x], []
        for t in range(1, n - 1):
            c = self.channels[t]
            add_in = [tensors[s][:, :c] for s in range(1, t) if m[s][t]]
            if m[0][t]:
                add_in.append(self.proj[t - 1](x))
            h = add_in[0]
            for a in add_in[1:]:
                h = h + a
            y = self.ops[t - 1](h)
            tensors.append(y)
            if m[t][n - 1]:
                concat.append(y)
        if not concat:
            return self.out_proj(x)
        out = concat[0] if len(concat) == 1 else torch.cat(concat, dim=1)
        return out + self.out_proj(x) if self.out_proj is not None else out


class Nb101Network(nn.Module):
    def __init__(self, matrix, ops, C=128, stacks=3, cells_per_stack=3, classes=10):
        super().__init__()
        matrix, ops = prune_nb101(matrix, ops)
        self.stem = ConvBnRelu(3, C, 3)
        layers = []
        channels = cprev = C
        for s in range(stacks):
            if s > 0:
                layers.append(nn.MaxPool2d(2, 2))
                channels *= 2
            for _ in range(cells_per_stack):
                layers.append(Nb101Cell(matrix, ops, cprev, channels))
                cprev = channels
        self.layers = nn.ModuleList(layers)
        self.dense = nn.Linear(cprev, classes)

    def forward(self, x):
        h = self.stem(x)
        for layer in self.layers:
            h = layer(h)
        return self.dense(h.mean(dim=(2, 3)))
