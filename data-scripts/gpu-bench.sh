#!/usr/bin/env bash
# GPU benchmark of the webgpu engine against PyTorch CUDA, runnable on a GPU server that has no
# Node and no Vulkan loader (only the NVIDIA driver and a CUDA PyTorch).
#
#   bash data-scripts/gpu-bench.sh pack [DIR]       # here: fill DIR (default out/gpu-bench, ~31 MB; out/ is gitignored)
#   bash data-scripts/gpu-bench.sh run [DIR] [ARGS] # there: the benchmark, then a table of ratios
#
# pack: bundles data-scripts/gpu-bench.ts with esbuild, adds this machine's Node binary, Dawn
# (node_modules/webgpu, linux-x64 only), PyTorch's twin (gpu-bench-torch.py, torch_step.py) and the
# Debian packages of the Vulkan loader and libglvnd (apt-get download, no install).
# run: unpacks; when `ldconfig -p` lists no libvulkan.so.1 it unpacks those packages into / as root
# (a throwaway GPU machine; as another user into DIR/sysroot with LD_LIBRARY_PATH); then
# `node gpu-bench.js ARGS` (webgpu, this project's kernels and tfjs's stock ones, a per-kernel
# profile) and `python3 gpu-bench-torch.py` (CUDA, same nets), and prints the ratios.
# The Vulkan ICD for a headless NVIDIA driver is found by src/backend/webgpu/vulkan-icd.ts.
set -euo pipefail
mode=${1:-}
DIR=${2:-out/gpu-bench}
shift $(( $# < 2 ? $# : 2 )) || true
REPO=$(cd "$(dirname "$0")/.." && pwd)

pack() {
  mkdir -p "$DIR/debs" "$DIR/node_modules/webgpu/dist/linux-x64"
  "$REPO/node_modules/.bin/esbuild" "$REPO/data-scripts/gpu-bench.ts" --bundle --platform=node --format=cjs --target=node20 \
    --log-level=error --outfile="$DIR/gpu-bench.js" \
    --external:webgpu --external:tsx --external:@tensorflow/tfjs-backend-wasm \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
  cp "$REPO/data-scripts/gpu-bench-torch.py" "$REPO/src/bench/torch_step.py" "$DIR/"
  cp "$REPO/node_modules/webgpu/index.js" "$REPO/node_modules/webgpu/package.json" "$DIR/node_modules/webgpu/"
  [ -f "$DIR/dawn.node.xz" ] || xz -T2 -c "$REPO/node_modules/webgpu/dist/linux-x64/dawn.node" >"$DIR/dawn.node.xz"
  [ -f "$DIR/node.xz" ] || xz -T2 -c "$(command -v node)" >"$DIR/node.xz"
  if ! ls "$DIR"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpu-bench-apt-lists)
    mkdir -p /tmp/gpu-bench-apt-lists/partial
    apt-get "${o[@]}" update -qq
    (cd "$DIR/debs" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
  du -sh "$DIR"
}

summary() {
  python3 - "$DIR/webgpu.jsonl" "$DIR/torch.jsonl" <<'EOF'
import json, sys
rows = []
for f in sys.argv[1:]:
    try:
        rows += [json.loads(l) for l in open(f) if l.startswith("{")]
    except FileNotFoundError:
        pass
step = {(r["net"], r["kernels"]): r for r in rows if r.get("kind") == "step"}
torch = {(r["net"], r["mode"]): r["ms"] for r in rows if r.get("kind") == "torch"}
nets = list(dict.fromkeys([k[0] for k in step] + [k[0] for k in torch]))
for r in rows:
    if r.get("kind") == "adapter":
        print(f"webgpu adapter: {r['adapter']}")
    if r.get("kind") == "torch":
        print(f"PyTorch {r['torch']} on {r['gpu']}") if r["net"] == nets[0] and r["mode"] == "default" else None
fmt = lambda v, p=1: "-" if v is None else f"{v:.{p}f}"
ratio = lambda a, b: a / b if a and b else None
print("ms per training step (median); x torch = webgpu (auto, else project) / PyTorch; torch fp32 = TF32 off")
print(f"{'net':<11} {'auto':>8} {'project':>8} {'filter':>8} {'stock':>8} {'unsafe':>8} {'torch':>7} {'fp32':>7} {'x torch':>8} {'x fp32':>7} {'stock/ours':>10} {'GFLOP/s':>8}")
for n in nets:
    ms = {k: step.get((n, k), {}).get("ms") for k in ("auto", "project", "filter", "stock", "project+unsafe")}
    gflop = next((r.get("gflop") for (nn, _), r in step.items() if nn == n), None)
    t, t32 = torch.get((n, "default")), torch.get((n, "fp32"))
    p = ms["auto"] or ms["project"]
    print(f"{n:<11} {fmt(ms['auto']):>8} {fmt(ms['project']):>8} {fmt(ms['filter']):>8} {fmt(ms['stock']):>8} {fmt(ms['project+unsafe']):>8} {fmt(t, 2):>7} {fmt(t32, 2):>7} {fmt(ratio(p, t)):>8} {fmt(ratio(p, t32)):>7} {fmt(ratio(ms['stock'], p)):>10} {fmt(gflop * 1000 / p if gflop and p else None, 0):>8}")
for r in rows:
    if r.get("kind") == "profile":
        print(f"profile {r['net']} [{r.get('kernels')}] {r.get('kernelCount')} kernels, {r.get('kernelMs')} ms on the GPU; slowest: " + ", ".join(f"{k['kernel']} {k['ms']}" for k in r["top"]))
EOF
}

run() {
  cd "$DIR"
  [ -x node ] || { xz -dc node.xz >node && chmod +x node; }
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dc dawn.node.xz >node_modules/webgpu/dist/linux-x64/dawn.node
  if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
    if [ "$(id -u)" -eq 0 ]; then
      for f in debs/*.deb; do dpkg -x "$f" /; done
      ldconfig
    else
      mkdir -p sysroot
      for f in debs/*.deb; do dpkg -x "$f" sysroot; done
      export LD_LIBRARY_PATH="$PWD/sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
  fi
  local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
  nvidia-smi -L 2>/dev/null || true
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
    [ -d "$d" ] && grep -H library_path "$d"/*.json 2>/dev/null || true
  done
  # Exact kernel times in the profile (Dawn quantises timestamps by default).
  WSOL_DAWN_OPTIONS="disable-dawn-features=timestamp_quantization" \
    timeout "${GPU_BENCH_NODE_TIMEOUT:-150}" ./node gpu-bench.js "$@" | tee webgpu.jsonl || echo "gpu-bench: the webgpu run failed (see above)"
  if ! grep -q '"kind":"step"' webgpu.jsonl 2>/dev/null && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    echo "gpu-bench: retrying with the driver's own ICD json"
    ldconfig -p | grep -i -E 'nvidia|vulkan' | head -20 || true
    VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
      WSOL_DAWN_OPTIONS="disable-dawn-features=timestamp_quantization" \
      timeout 100 ./node gpu-bench.js --kernels auto,stock "$@" | tee webgpu.jsonl || echo "gpu-bench: the retry failed"
  fi
  # The same kernels without Dawn's validation and bounds checks (not the default: unsafe APIs).
  WSOL_DAWN_OPTIONS="enable-dawn-features=allow_unsafe_apis,skip_validation,disable_robustness,disable_workgroup_init;disable-dawn-features=timestamp_quantization" \
    timeout "${GPU_BENCH_UNSAFE_TIMEOUT:-50}" ./node gpu-bench.js --kernels project --label +unsafe "$@" | tee -a webgpu.jsonl || echo "gpu-bench: the unsafe-options run failed"
  local specs
  specs=$(./node gpu-bench.js --specs | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["specs"]))')
  timeout "${GPU_BENCH_TORCH_TIMEOUT:-90}" python3 gpu-bench-torch.py "$specs" 10 | tee torch.jsonl || echo "gpu-bench: the PyTorch run failed"
  DIR=. summary
}

case "$mode" in
  pack) pack ;;
  run) run "$@" ;;
  summary) summary ;;
  *) echo "usage: bash data-scripts/gpu-bench.sh pack|run|summary [DIR] [gpu-bench.js args]" >&2; exit 2 ;;
esac
