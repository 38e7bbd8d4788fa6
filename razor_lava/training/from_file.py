"""Training that starts from a network file (``train.py --from NET.h5``): Razor fine-tuned into a network
that came from elsewhere (a NIR import, a plain lava-dl netx file, another razor_lava run).

``config_from_network_file`` turns the file into a config: its typed layers with the file's neurons
(``model.reference.config_from_file``'s way), its frame spec as the ``data`` section (the file's frame spec
frames the data set), and, where razor_lava wrote the file (a run or ``import_nir``), the ``neuron``,
``pruner`` and ``train`` sections of the config it records; the pruners sit where the file has them unless
the pruner options say otherwise. ``load_into`` then gives a ``RazorNet`` of that config the file's weights
(on lava-dl's 8-bit grid, so the quantization-aware forward computes what the file's SLAYER reference
computes) and the file's pruners where they fit. ``freeze_weights`` leaves every block parameter as it is:
only the pruners train, and the exported layers are byte-identical to the file's.

What RazorNet cannot train exactly is refused by layer (``check_trainable``): netx biases and delays (the
reference models them, RazorNet's lava-dl blocks do not), per-neuron thresholds or decays, weights off
lava-dl's 8-bit grid (odd integers or outside [-256, 254]: its quantization would move them), a layer
without a neuron group (netx's default integrator).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import h5py
import numpy as np
import torch

from ..errors import DataFormatError, UsageError
from ..fixed_point import weight_to_slayer
from ..netfile import NetworkFile, load_network_file
from ..netfile.format import content_digest
from ..pruning.params import EMBED_BITS, LOGIT_BITS

FRAMING_KEYS = ("window_ms", "n_frames", "polarity", "mode", "clip", "t_origin", "size")


def check_trainable(nf: NetworkFile) -> None:
    """``DataFormatError`` naming the first layer of ``nf`` that a RazorNet cannot train exactly, and why."""
    where = f"layer/{{}}"
    for s in nf.layers:
        if not s.weighted:
            continue
        at = where.format(s.index)
        if s.bias is not None:
            raise DataFormatError(nf.path, f"{at}/bias: RazorNet's lava-dl blocks have no bias (netx adds it as "
                                  "bias_mant; only the SLAYER reference models it), so this network cannot be "
                                  "trained exactly; deploy it as it is (deploy/deploy.py)")
        if s.delay is not None:
            raise DataFormatError(nf.path, f"{at}/delay: RazorNet's lava-dl blocks do not model the file's netx "
                                  "delays (only the SLAYER reference does), so this network cannot be trained "
                                  "exactly; deploy it as it is (deploy/deploy.py)")
        n = s.neuron
        if n is None or n.default:
            raise DataFormatError(nf.path, f"{at}: no neuron group (netx's default integrator): a RazorNet "
                                  "layer needs a CUBA neuron to train")
        for name in ("vth_mant", "i_decay", "v_decay"):
            v = np.asarray(getattr(n, name))
            if v.size > 1 and np.ptp(v) != 0:
                raise DataFormatError(nf.path, f"{at}/neuron/{name}: differs between neurons; a RazorNet "
                                      "layer has one value per layer")
        w = np.asarray(s.weight)
        off = (w % 2 != 0) | (w < -256) | (w > 254)
        if off.any():
            bad = int(w[off].flat[0])
            raise DataFormatError(nf.path, f"{at}/weight: {int(off.sum())} weights off lava-dl's 8-bit grid "
                                  f"(even integers in [-256, 254]; e.g. {bad}): RazorNet's quantization-aware "
                                  "training would move them")
    if nf.input_block_skipped:  # not refused: the reference skips it too (spikes go into layer/1)
        pass


def file_digest(path) -> str:
    """SHA-256 of the file's layers and razor group (``netfile.format.content_digest``): what a resumed
    ``--from`` run must start from again."""
    with h5py.File(path, "r") as f:
        return content_digest(f)


def _spec_data(nf: NetworkFile, dataset: str) -> dict:
    """The config's ``data`` section that frames ``dataset`` with the file's frame spec, or refuses."""
    from ..cli.framing_args import dataset_sensor, frame_spec_from_args

    spec = nf.frame_spec
    sensor = dataset_sensor(dataset)
    if spec is None:  # a plain netx file: the data set's default framing fitted to the network's input
        spec = frame_spec_from_args(None, nf.input_shape, dataset, None, str(nf.path))
    elif tuple(spec.sensor_size) != tuple(sensor):
        raise UsageError("--from", f"{nf.path}: its frame spec frames a {_sensor(spec.sensor_size)}, but data set "
                         f"{dataset!r} comes from a {_sensor(sensor)}; give the --dataset it was made for")
    shape = tuple(spec.frame_shape[:-1])
    if shape != tuple(nf.input_shape):
        raise UsageError("--from", f"{nf.path}: its frame spec gives frames of {_x(shape)}, but its first layer "
                         f"takes {_x(nf.input_shape)}")
    data = {"dataset": dataset}
    for k in FRAMING_KEYS:
        v = getattr(spec, k)
        data[k] = list(v) if isinstance(v, tuple) else v
    return data


def _sensor(s) -> str:
    return f"{s[0]} x {s[1]} sensor with {s[2]} polarities"


def _x(shape) -> str:
    return " x ".join(str(int(v)) for v in shape)


def config_from_network_file(path, dataset: str | None = None, nf: NetworkFile | None = None):
    """``(cfg, nf)``: the config of a training run that starts from network file ``path`` (module doc).

    ``dataset``: the registry name of the data set (default: the one the file's config names, where razor_lava
    or import_nir wrote it). Raises ``DataFormatError`` (not a network file, layers RazorNet cannot train
    exactly) or ``UsageError`` (no data set named, a frame spec that does not fit it).
    """
    from dataclasses import replace

    from ..data.registry import DATASETS
    from ..errors import ConfigError
    from ..config import parse_config

    nf = nf if nf is not None else load_network_file(path)
    check_trainable(nf)
    own = copy.deepcopy(nf.config) if isinstance(nf.config, dict) else {}
    if dataset is None:
        dataset = (own.get("data") or {}).get("dataset")
        if dataset is None:
            raise UsageError("--dataset", f"{path} names no data set (a plain netx file): give --dataset "
                             f"(one of {sorted(DATASETS)})")
    elif dataset not in DATASETS:
        raise UsageError("--dataset", f"unknown data set {dataset!r}; expected one of {sorted(DATASETS)}")
    layers = [replace(s.layer, neuron=s.neuron.slayer_params()) if s.weighted else s.layer
              for s in nf.layers if s.type != "input"]
    raw = {"name": own.get("name") or Path(path).stem, "data": _spec_data(nf, dataset),
           "input": list(nf.input_shape), "layers": [layer.to_dict() for layer in layers]}
    if isinstance(own.get("neuron"), dict):  # the surrogate gradient it trained with (tau_grad, scale_grad)
        raw["neuron"] = {k: v for k, v in own["neuron"].items() if k in ("tau_grad", "scale_grad")}
    pruner = dict(own.get("pruner") or {}) if isinstance(own.get("pruner"), dict) else {}
    pruner["positions"] = sorted(nf.pruners) if nf.first_index == 1 else []
    raw["pruner"] = pruner
    if isinstance(own.get("train"), dict):
        raw["train"] = own["train"]
    try:
        return parse_config(raw, source=str(path), any_output=True), nf
    except ConfigError as e:
        raise DataFormatError(path, f"its config does not make a trainable network: {e}") from None


@torch.no_grad()
def load_into(net, nf: NetworkFile, log=print) -> list[int]:
    """Give ``net`` (a RazorNet of ``config_from_network_file``'s config) the file's weights and, where a
    Razor pruner of the same shape sits at the same layer, the file's pruner. Returns the layers whose
    pruner came from the file."""
    specs = [s for s in nf.layers if s.type != "input"]
    for s, block in zip(specs, net.blocks):
        if not s.weighted:
            continue
        syn = block.synapse
        w = torch.as_tensor(weight_to_slayer(_stored_weight(nf.path, s)), dtype=syn.weight.dtype)
        syn.weight.copy_(w.reshape(syn.weight.shape))
        if not torch.equal(syn.pre_hook_fx(syn.weight), syn.weight):  # check_trainable's grid, once more
            raise DataFormatError(nf.path, f"layer/{s.index}/weight: not on lava-dl's 8-bit grid")
    loaded = []
    shift = 1 - nf.first_index  # a plain netx file without an input layer: its layer k is the net's k + 1
    for k, params in nf.pruners.items():
        key = str(k + shift)
        if key in net.pruners and _load_pruner(net.pruners[key], params):
            loaded.append(k + shift)
    if loaded:
        log(f"pruners at layers {loaded} continue from {nf.path}")
    return loaded


def _stored_weight(path, s) -> np.ndarray:
    """Layer ``s``'s weights as the file stores them where they are its values in the model's layout (a float
    -0.0 stays -0.0, so a frozen layer exports byte-identical), else the model's integers."""
    with h5py.File(path, "r") as f:
        raw = np.asarray(f[f"layer/{s.index}/weight"][()]) if f"layer/{s.index}/weight" in f else None
    w = np.asarray(s.weight)
    if raw is None or raw.size != w.size or raw.dtype.kind != "f":
        return w
    raw = raw.reshape(w.shape).astype(np.float64)
    return raw if np.array_equal(raw, w) else w


def _load_pruner(p, params) -> bool:
    """The file's integer pruner as the float parameters of Razor pruner ``p`` (exactly: they quantize back
    to the same integers); False where they do not fit (another method, K, kernel, pool or input scale)."""
    if p.method != "razor" or p.variant != params.variant or tuple(p.pool) != tuple(params.pool) \
            or p.input_scale != params.input_scale or p.area != params.area \
            or tuple(p.embeddings.shape) != tuple(np.shape(params.embeddings)) \
            or tuple(p.weight.shape) != tuple(np.shape(params.weight)):
        return False
    p.embeddings.copy_(torch.as_tensor(np.asarray(params.embeddings) / 2.0**EMBED_BITS))
    p.weight.copy_(torch.as_tensor(np.asarray(params.weight) / 2.0**LOGIT_BITS))
    p.bias.copy_(torch.as_tensor(np.asarray(params.bias) / 2.0**LOGIT_BITS))
    if params.theta is not None and params.theta_int is not None:
        # theta_int = round((logit(theta) - mask_offset) * sqrt(D) * area * scale * 2**EMBED_BITS): the float32
        # offset nearest to the one the file's threshold implies, among those that give back its theta_int
        scale = math.sqrt(p.dim) * p.area * p.input_scale * 2.0**EMBED_BITS
        logit = math.log(params.theta / (1 - params.theta))
        c = np.float32(logit - params.theta_int / scale)
        for _ in range(64):
            got = int(round((logit - float(c)) * scale))
            if got == params.theta_int:
                break
            c = np.nextafter(c, np.float32(np.inf) if got > params.theta_int else np.float32(-np.inf))
        p.mask_offset.fill_(float(c))
    q = p.quantized()
    same = (np.array_equal(q.embeddings, params.embeddings) and np.array_equal(q.weight, params.weight)
            and np.array_equal(q.bias, params.bias)
            and (p.theta != params.theta or q.theta_int == params.theta_int))
    if not same:
        raise DataFormatError(None, "a pruner of the file does not quantize back to its own integers")
    return True


def freeze_weights(net) -> None:
    """Every parameter of every block (weights, delays, neuron parameters) stays as it is: only pruners train."""
    for block in net.blocks:
        for prm in block.parameters():
            prm.requires_grad_(False)
