"""Times a training step of one of the benchmark's nets in PyTorch (CPU).

Usage: python3 torch_step.py NET_SPEC_JSON STEPS THREADS  -> prints {"msPerStep": ..., "cpuMsPerStep": ...}
as JSON: the median wall time of a step and the process CPU time per step (all threads).

NET_SPEC_JSON has name, inputSize, batch, classes and layers, plus optional head and optimizer:
- a reference net (src/bench/reference-nets.ts): layers {"kind": "conv", "cin", "cout"} (3x3 'same'
  convolution with bias and ReLU) and {"kind": "pool"} (2x2 max pooling, stride 2); then global
  average pooling and a dense layer without bias; plain SGD.
- a method net's twin (src/bench/torch-twin.ts): conv layers also give k, stride, padding, bias and
  act; {"kind": "bn", "c", "eps", "momentum"} (tfjs momentum: PyTorch's is 1 - it);
  {"kind": "act", "act"}; pool layers give size, stride, padding. head "gap": the logits are the
  spatial mean of the last layer (CAM). optimizer {"name": "adamw", "lr", "weightDecay", "betas", "eps"}.
- a complementary method's twin (kind "complementary", torch-twin.ts): the backbone's leaf layers,
  CAAM, SSAM (local over the (2r+1)^2 window for window r > 0), two heads, complementary dropout and the
  loss of the resolved config (complementary.py).
NCHW here, NHWC in tfjs: same shapes and FLOPs. One step = forward, softmax cross-entropy, backward,
optimiser update.

  python3 torch_step.py --loss FILE  -> prints {"loss": ..., "terms": {...}}: the complementary twin's
  loss on the weights, images, labels and dropout masks in FILE (JSON written by torch-twin.test.ts).
"""
import json
import sys
import time

import torch
import torch.nn as nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "elu": nn.ELU, "relu6": nn.ReLU6}


def activation(name):
    if name in ("linear", None):
        return []
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name!r} has no PyTorch counterpart here")
    return [ACTIVATIONS[name]()]


def same_padding(k, stride, padding):
    if padding == "valid":
        return 0
    if stride != 1 or k % 2 == 0:
        raise ValueError(f"'same' padding with kernel {k} and stride {stride} is not symmetric")
    return k // 2


def leaf_layers(spec_layers):
    """The leaf layers (conv, bn, act, pool) as PyTorch modules, and the channels they end with."""
    layers = []
    last = 3
    for layer in spec_layers:
        kind = layer["kind"]
        if kind == "pool":
            size, stride = layer.get("size", 2), layer.get("stride", 2)
            layers.append(nn.MaxPool2d(size, stride, ceil_mode=layer.get("padding", "same") == "same"))
        elif kind == "conv":
            k, stride = layer.get("k", 3), layer.get("stride", 1)
            pad = same_padding(k, stride, layer.get("padding", "same"))
            layers.append(nn.Conv2d(layer["cin"], layer["cout"], k, stride=stride, padding=pad, bias=layer.get("bias", True)))
            layers += activation(layer.get("act", "relu"))
            last = layer["cout"]
        elif kind == "bn":
            layers.append(nn.BatchNorm2d(layer["c"], eps=layer["eps"], momentum=1 - layer["momentum"]))
        elif kind == "act":
            layers += activation(layer["act"])
        else:
            raise ValueError(f"unknown layer kind {kind!r}")
    return layers, last


def build(spec):
    layers, last = leaf_layers(spec["layers"])
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if spec.get("head", "dense") == "dense":
        layers.append(nn.Linear(last, spec["classes"], bias=False))
    return nn.Sequential(*layers)


def optimizer(spec, params):
    o = spec.get("optimizer", {"name": "sgd"})
    if o["name"] == "sgd":
        return torch.optim.SGD(params, lr=o.get("lr", 1e-3))
    if o["name"] == "adamw":
        return torch.optim.AdamW(params, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weightDecay"])
    raise ValueError(f"unknown optimizer {o['name']!r}")


def main():
    if sys.argv[1] == "--loss":
        from complementary import loss_from_file
        print(json.dumps(loss_from_file(sys.argv[2])))
        return
    spec, steps, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.randn(spec["batch"], 3, spec["inputSize"], spec["inputSize"])
    y = torch.arange(spec["batch"]) % spec["classes"]
    if spec.get("kind") == "complementary":
        from complementary import Complementary, random_masks
        model = Complementary(spec)
        model.train()
        opt = optimizer(spec, model.parameters())
        counter = [0]

        def step():
            opt.zero_grad()
            total, _ = model.loss(x, y, random_masks(spec, spec["batch"]), counter[0])
            total.backward()
            opt.step()
            counter[0] += 1
    else:
        model = build(spec)
        model.train()
        opt = optimizer(spec, model.parameters())
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

    step()  # warm-up
    times = []
    cpu0 = time.process_time()
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    cpu_ms = (time.process_time() - cpu0) * 1000 / steps
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    print(json.dumps({"msPerStep": median, "cpuMsPerStep": cpu_ms}))


if __name__ == "__main__":
    main()
