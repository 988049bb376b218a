"""PyTorch CUDA twin of data-scripts/gpu-bench.ts: the same nets as src/bench/torch_step.py builds them
(reference nets with SGD; the method nets' twins with their optimizer, and the complementary methods'
loss from complementary.py), one training step timed with CUDA synchronisation; median of STEPS after
one warm-up step. GPU_BENCH_TORCH_DEVICE=cpu runs it on the CPU (tests).

Usage: python3 gpu-bench-torch.py SPECS_JSON_LIST STEPS -> one JSON line per net and precision mode:
"tf32" (TF32 on for matmul and cuDNN, cudnn.benchmark on, no compile) and "fp32" (TF32 off).
"""
import json
import os
import sys
import time

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_here, os.path.join(_here, "..", "src", "bench")]  # packed folder, or the repository
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch_step import build, optimizer  # noqa: E402


def time_net(spec, steps):
    torch.manual_seed(1)
    dev = torch.device(os.environ.get("GPU_BENCH_TORCH_DEVICE", "cuda"))
    x = torch.randn(spec["batch"], 3, spec["inputSize"], spec["inputSize"], device=dev)
    y = (torch.arange(spec["batch"]) % spec["classes"]).to(dev)
    if spec.get("kind") == "complementary":
        from complementary import Complementary, random_masks  # noqa: E402

        model = Complementary(spec).to(dev)
        model.train()
        opt = optimizer(spec, model.parameters())
        counter = [0]

        def step():
            opt.zero_grad()
            total, _ = model.loss(x, y, random_masks(spec, spec["batch"]).to(dev), counter[0])
            total.backward()
            opt.step()
            counter[0] += 1
    else:
        model = build(spec).to(dev)
        model.train()
        opt = optimizer(spec, model.parameters())
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def main():
    specs, steps = json.loads(sys.argv[1]), int(sys.argv[2])
    torch.backends.cudnn.benchmark = True
    for mode in ("tf32", "fp32"):
        torch.backends.cudnn.allow_tf32 = mode == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
        for spec in specs:
            ms = time_net(spec, steps)
            print(json.dumps({"kind": "torch", "net": spec["name"], "mode": mode, "ms": ms, "torch": torch.__version__, "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}), flush=True)


if __name__ == "__main__":
    main()
