"""Times a training step of one of the benchmark's reference nets in PyTorch (CPU).

Usage: python3 torch_step.py NET_SPEC_JSON STEPS THREADS  -> prints {"msPerStep": ...} as JSON.
NET_SPEC_JSON is a ReferenceNet from src/bench/reference-nets.ts (name, inputSize, batch, classes,
layers); the layers are built the same way: 3x3 'same' convolutions with bias and ReLU, 2x2
max pooling with stride 2, global average pooling, a dense layer without bias (NCHW here, NHWC
there: same shapes and FLOPs). One step = forward, softmax cross-entropy, backward, SGD update.
"""
import json
import sys
import time

import torch
import torch.nn as nn


def build(spec):
    layers = []
    last = 3
    for layer in spec["layers"]:
        if layer["kind"] == "pool":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            layers += [nn.Conv2d(layer["cin"], layer["cout"], 3, padding=1), nn.ReLU()]
            last = layer["cout"]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(last, spec["classes"], bias=False)]
    return nn.Sequential(*layers)


def main():
    spec, steps, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = build(spec)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(spec["batch"], 3, spec["inputSize"], spec["inputSize"])
    y = torch.arange(spec["batch"]) % spec["classes"]
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    print(json.dumps({"msPerStep": median}))


if __name__ == "__main__":
    main()
