"""Linear NIR nodes back to back, with no neuron between, folded into the one synapse razor_lava layers have.

Other frameworks write graphs where two linear nodes follow each other: the NIR
paper's CNN has ``IF -> SumPool2d -> Conv2d -> IF`` and ``IF -> SumPool2d ->
Flatten -> Affine -> IF``. A razor_lava (netx) layer is one synapse followed by
one neuron, so such runs become one synapse. Every fold here is exact: the
folded synapse computes, for every input, the same number as the chain of
nodes did in real arithmetic. The weights the folds produce are sums of
products of the nodes' weights (a pool's taps are 1, or ``1 / k**2`` for an
average pool), so integer or 8-bit grid weights stay on the grid for the pool
folds; a product of two weight matrices need not (``nir_import`` checks the
grid and scales with a warning when it is not).

Folds (``fold``):

- ``SumPool2d -> Conv2d``: the conv reads pooled cells, each the sum of a
  ``k_p x k_p`` block (pool kernel = stride ``k_p``, no pool padding). Conv tap
  ``(i, j)`` at output ``(y, x)`` reads cell ``(y s_c - p_c + i, ...)``, i.e.
  input pixels ``(y s_c - p_c + i) k_p + a`` for ``a < k_p``: that is one conv on
  the input with stride ``s_c k_p``, padding ``p_c k_p`` and kernel
  ``(k_c - 1) k_p + k_p`` whose tap ``i k_p + a`` holds conv tap ``i`` (each
  tap repeated over a ``k_p x k_p`` block). Padding: a padded pooled cell is a
  whole ``k_p x k_p`` block of padded input pixels, so zeros stay zeros. The
  pool drops trailing rows when the input is not a multiple of ``k_p``; the
  folded conv's output size is the same (floor division), and it never reads
  those rows when the conv has no padding. With conv padding they would be read
  as data where the pooled conv reads padding: such inputs are refused. The
  conv's dilation must be 1 (a dilated conv's taps are not adjacent blocks).
  ``SumPool2d -> SumPool2d`` is the same fold (a pool is a depthwise conv of ones).
- ``conv-like -> Flatten -> Linear/Affine``: ``W flatten(conv(x))`` is linear in
  ``x``; row ``o`` of its matrix is the conv's adjoint applied to row ``o`` of
  ``W`` (reshaped ``C x H x W``), which ``conv_transpose2d`` computes (for a
  pool: each dense weight gathered over its pooled block; pixels a pool drops
  get weight 0). Biases: ``b' = b_dense + W flatten(b_conv)``.
- ``Linear -> Linear``: ``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``.

Computed in float64: the graphs' float32 weights are exact in float64, and the
sums of their products here have far fewer significant bits than 53 for
weights on lava-dl's grid (multiples of 1/32 up to 4), so the folded weights
are exact; ``tests/interop/test_nir_fold.py`` checks each fold against the
unfolded computation on random integer inputs, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..layers import Conv, Dense, LayerShapeError, pair

POOLS = ("SumPool2d", "AvgPool2d")
LINEAR = ("Conv2d", "Linear", "Affine") + POOLS


class FoldError(ValueError):
    """The nodes cannot be one synapse exactly; the message says which and why (the importer names the file)."""


@dataclass
class Synapse:
    """One synapse in float64, razor_lava's order: dense ``weight`` ``out x in``; conv ``out x in/groups x kh x kw``.

    ``bias``: per output neuron (dense, ``(out,)``) or per output channel (conv, ``(out,)``), or None.
    ``pool``: the pool kernel when this is an unfolded sum/average pool (depthwise, one tap value).
    ``nodes``: the NIR nodes folded into it, in order; ``folds``: what was folded, for the import report.
    """

    kind: str  # "conv" | "dense"
    weight: np.ndarray
    in_shape: tuple[int, ...]
    bias: np.ndarray | None = None
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    pool: tuple[int, int] | None = None
    nodes: list[str] = field(default_factory=list)
    folds: list[str] = field(default_factory=list)

    @property
    def layer(self):
        if self.kind == "dense":
            return Dense(out=int(self.weight.shape[0]))
        return Conv(out=int(self.weight.shape[0]), kernel=self.kernel, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, groups=self.groups)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.layer.out_shape(self.in_shape)

    def describe(self) -> str:
        if self.kind == "dense":
            return f"dense {self.weight.shape[1]} -> {self.weight.shape[0]}"
        k, s, p = self.kernel, self.stride, self.padding
        return (f"conv {self.weight.shape[1] * self.groups} -> {self.weight.shape[0]} kernel {k[0]}x{k[1]} stride "
                f"{s[0]}x{s[1]} padding {p[0]}x{p[1]}" + (f" groups {self.groups}" if self.groups > 1 else ""))


def _finite(name: str, kind: str, what: str, a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise FoldError(f"node '{name}' ({kind}): its {what} holds NaN or infinite values")
    return a


def synapse_of(name: str, node, in_shape: tuple[int, ...]) -> Synapse:
    """The synapse of one linear NIR node that receives ``in_shape`` (razor_lava's order, no batch axis)."""
    kind = type(node).__name__
    where = f"node '{name}' ({kind})"
    if kind in ("Linear", "Affine"):
        w = _finite(name, kind, "weight", node.weight)
        n_in = int(np.prod(in_shape))
        if w.ndim != 2 or w.shape[1] != n_in:
            raise FoldError(f"{where}: weight shape {w.shape}, but the node before sends {n_in} values "
                            f"({' x '.join(map(str, in_shape))})")
        if len(in_shape) == 3 and tuple(in_shape[1:]) != (1, 1):
            raise FoldError(f"{where}: receives a {' x '.join(map(str, in_shape))} feature map; put a Flatten "
                            "node before it")
        bias = _finite(name, kind, "bias", node.bias) if kind == "Affine" else None
        if bias is not None and bias.shape not in ((w.shape[0],), ()):
            raise FoldError(f"{where}: bias shape {bias.shape}, but the weight has {w.shape[0]} outputs")
        bias = None if bias is None else np.broadcast_to(bias, (w.shape[0],)).copy()
        return Synapse("dense", w, (n_in,), bias=bias, nodes=[name])
    if len(in_shape) != 3:
        raise FoldError(f"{where}: needs a C x H x W input, but the node before sends {in_shape}")
    c = int(in_shape[0])
    if kind in POOLS:
        kernel, stride = pair(node.kernel_size), pair(node.stride)
        if np.any(np.asarray(node.padding) != 0):
            raise FoldError(f"{where}: padded pooling is not imported")
        tap = 1.0 if kind == "SumPool2d" else 1.0 / (kernel[0] * kernel[1])
        syn = Synapse("conv", np.full((c, 1, *kernel), tap), tuple(in_shape), kernel=kernel, stride=stride,
                      groups=c, pool=kernel if kernel == stride else None, nodes=[name])
    else:
        w = _finite(name, kind, "weight", node.weight)
        if isinstance(node.padding, str):
            raise FoldError(f"{where}: padding '{node.padding}': give the padding in pixels")
        groups = int(np.ravel(node.groups)[0])
        if w.ndim != 4 or groups < 1 or w.shape[1] * groups != c or w.shape[0] % groups:
            raise FoldError(f"{where}: weight shape {w.shape} with groups={groups} does not fit its "
                            f"{' x '.join(map(str, in_shape))} input")
        bias = _finite(name, kind, "bias", node.bias) if getattr(node, "bias", None) is not None else None
        if bias is not None and bias.shape not in ((w.shape[0],), ()):
            raise FoldError(f"{where}: bias shape {bias.shape}, but the weight has {w.shape[0]} channels")
        bias = None if bias is None else np.broadcast_to(bias, (w.shape[0],)).copy()
        syn = Synapse("conv", w, tuple(in_shape), bias=bias, kernel=(int(w.shape[2]), int(w.shape[3])),
                      stride=pair(node.stride), padding=pair(node.padding), dilation=pair(node.dilation),
                      groups=groups, nodes=[name])
    try:
        syn.out_shape  # noqa: B018  (checks that the kernel fits)
    except LayerShapeError as e:
        raise FoldError(f"{where}: {e}") from None
    return syn


def fold(a: Synapse, b: Synapse, flatten_between: bool = False) -> Synapse:
    """One synapse computing ``b(a(x))`` (with a Flatten between when ``flatten_between``), exactly (module doc).

    Raises ``FoldError`` for pairs razor_lava cannot fold exactly (e.g. conv -> conv: the second conv's zero
    padding is not the first's output at those positions).
    """
    names = f"'{a.nodes[-1]}' -> {'Flatten -> ' if flatten_between else ''}'{b.nodes[0]}'"
    if a.kind == "dense" and b.kind == "dense":
        w = b.weight @ a.weight
        bias = _add(b.bias, None if a.bias is None else b.weight @ a.bias)
        note = f"{names}: dense x dense = one {w.shape[1]} -> {w.shape[0]} matrix (W2 W1)"
        return _joined(Synapse("dense", w, a.in_shape, bias=bias), a, b, note)
    if a.kind == "conv" and b.kind == "dense":
        w = _conv_adjoint(a, b.weight)
        bias = b.bias
        if a.bias is not None:
            out = a.out_shape
            bias = _add(bias, b.weight @ np.broadcast_to(a.bias[:, None, None], out).reshape(-1))
        note = (f"{names}: the {'pool' if a.pool else 'conv'} folded into the dense matrix "
                f"({int(np.prod(a.in_shape))} -> {w.shape[0]}; each weight gathers the inputs of its "
                f"{'pooled block' if a.pool else 'conv window'})")
        return _joined(Synapse("dense", w, (int(np.prod(a.in_shape)),), bias=bias), a, b, note)
    if a.kind == "conv" and b.kind == "conv" and not flatten_between and a.pool is not None:
        kp = a.pool
        h, w_ = a.in_shape[1:]
        if b.dilation != (1, 1):
            raise FoldError(f"{names}: a dilated conv after a pool is not folded (its taps are not adjacent blocks)")
        if any(b.padding[i] and (h, w_)[i] % kp[i] for i in (0, 1)):
            raise FoldError(f"{names}: the pool drops the last {h % kp[0]} row(s) / {w_ % kp[1]} column(s) of its "
                            f"{h} x {w_} input and the conv pads: not one conv exactly")
        tap = float(a.weight.ravel()[0])
        # weight[o, i, y*kp + a, x*kp + b] = conv[o, i, y, x] * tap: each conv tap repeated over a kp block.
        w = np.kron(b.weight, np.ones(kp)) * tap
        kernel = ((b.kernel[0] - 1) * kp[0] + kp[0], (b.kernel[1] - 1) * kp[1] + kp[1])
        syn = Synapse("conv", w, a.in_shape, bias=None if b.bias is None else b.bias.copy(), kernel=kernel,
                      stride=(b.stride[0] * kp[0], b.stride[1] * kp[1]),
                      padding=(b.padding[0] * kp[0], b.padding[1] * kp[1]), groups=b.groups,
                      pool=(kp[0] * b.kernel[0], kp[1] * b.kernel[1]) if b.pool is not None else None)
        note = (f"{names}: pool {kp[0]}x{kp[1]} + conv {b.kernel[0]}x{b.kernel[1]} = one conv {kernel[0]}x{kernel[1]}"
                f" stride {syn.stride[0]}x{syn.stride[1]} padding {syn.padding[0]}x{syn.padding[1]} (each conv tap "
                f"repeated over a {kp[0]}x{kp[1]} block)")
        if b.pool is not None and syn.kernel != syn.stride:
            syn.pool = None
        joined = _joined(syn, a, b, note)
        if joined.out_shape != b.out_shape:  # the module doc's argument, checked
            raise FoldError(f"{names}: folded output {joined.out_shape} != {b.out_shape}")
        return joined
    what = {("conv", "conv"): "a conv (or a pool whose kernel differs from its stride) followed by a conv or pool",
            ("dense", "conv"): "a dense node followed by a conv"}.get((a.kind, b.kind), f"{a.kind} -> {b.kind}")
    raise FoldError(f"{names}: {what} with no neuron between is not one synapse exactly; razor_lava folds "
                    "SumPool2d -> Conv2d/SumPool2d (pool kernel = stride), conv/pool -> Flatten -> Linear/Affine "
                    "and Linear/Affine -> Linear/Affine")


def _joined(syn: Synapse, a: Synapse, b: Synapse, note: str) -> Synapse:
    return replace(syn, nodes=a.nodes + b.nodes, folds=a.folds + b.folds + [note])


def _add(x, y):
    if x is None:
        return y
    return x if y is None else x + y


def _conv_adjoint(a: Synapse, w_dense: np.ndarray) -> np.ndarray:
    """``W_dense @ M`` where ``M`` is the matrix of conv ``a`` (``n_out_pixels x n_in_pixels``): conv_transpose2d
    of every dense row, reshaped as the conv's output map (the rows are the batch)."""
    out = a.out_shape
    if w_dense.shape[1] != int(np.prod(out)):
        raise FoldError(f"node '{a.nodes[-1]}' -> Flatten sends {int(np.prod(out))} values, the dense weight takes "
                        f"{w_dense.shape[1]}")
    rows = torch.as_tensor(w_dense, dtype=torch.float64).reshape(-1, *out)
    # conv_transpose2d's own size is (out - 1) s - 2 p + d (k - 1) + 1; the input is larger by the remainder of the
    # conv's floor division (< stride): output_padding adds those last rows / columns, which the last windows
    # may read (with padding) or not (then their weight is 0).
    extra = [a.in_shape[1 + i] - ((out[1 + i] - 1) * a.stride[i] - 2 * a.padding[i]
                                  + a.dilation[i] * (a.kernel[i] - 1) + 1) for i in (0, 1)]
    y = F.conv_transpose2d(rows, torch.as_tensor(a.weight, dtype=torch.float64), stride=a.stride,
                           padding=a.padding, output_padding=tuple(extra), dilation=a.dilation, groups=a.groups)
    assert tuple(y.shape[1:]) == tuple(a.in_shape), (y.shape, a.in_shape)
    return y.reshape(rows.shape[0], -1).numpy()
