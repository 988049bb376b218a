#!/usr/bin/env bash
# GPU measurements of the webgpu engine against PyTorch CUDA, in one call, on a GPU server that has
# no Node, no Jupyter and no Vulkan loader (only the NVIDIA driver and a CUDA PyTorch).
#
#   bash data-scripts/gpu-bench.sh pack [DIR]   # here: fill DIR (default out/gpu-bench; out/ is gitignored)
#                                               # and DIR/gpu-bench.tar, the one file to copy over
#   tar xf gpu-bench.tar && bash gpu-bench.sh run .   # there: every part, the table after each
#   bash data-scripts/gpu-bench.sh summary [DIR]      # the table again from DIR's results
#
# pack: bundles data-scripts/gpu-bench.ts (with the whole wsol command line) with esbuild, adds this
# machine's Node binary, Dawn (node_modules/webgpu, linux-x64), sharp with its libvips, PyTorch's
# twin (gpu-bench-torch.py, torch_step.py), this script, and the Debian packages of the Vulkan loader
# and libglvnd (apt-get download, no install; GPU_BENCH_NO_DEBS=1 leaves them out).
#
# run: unpacks Node and Dawn; when `ldconfig -p` lists no libvulkan.so.1 it unpacks those packages
# into / as root (a throwaway GPU machine; as another user into DIR/sysroot with LD_LIBRARY_PATH).
# Then the parts, in priority order, each under its own timeout (GPU_BENCH_<PART>_TIMEOUT seconds)
# with extra arguments from GPU_BENCH_<PART>_ARGS, printing the table so far after each:
#   bench      vgg-64 (batch 16) and VGG16-224 (batch 32): every convolution kernel set, a per-kernel
#              profile, dispatches per step; PyTorch CUDA with TF32 (matmul and cuDNN) and fp32
#   method     the cam and ours training steps at 64 px, batch 16, and their PyTorch twins
#   quick      wsol reproduce --quick on webgpu
#   recipes    every notebook's training recipe on webgpu (GPU_BENCH_RECIPE_MODE, default full)
#   reproduce  the default wsol reproduce on webgpu
#   unsafe     the bench again without Dawn's validation and bounds checks (what they cost)
# GPU_BENCH_PARTS picks parts (default: all, in that order). The Vulkan ICD for a headless NVIDIA
# driver is found by src/backend/webgpu/vulkan-icd.ts.
set -euo pipefail
mode=${1:-}
DIR=${2:-out/gpu-bench}
shift $(( $# < 2 ? $# : 2 )) || true
HERE=$(cd "$(dirname "$0")" && pwd)
PARTS_DEFAULT="bench method quick recipes reproduce unsafe"

pack() {
  local repo
  repo=$(cd "$HERE/.." && pwd)
  [ -f "$repo/data-scripts/gpu-bench.ts" ] || { echo "gpu-bench: pack runs from the repository (data-scripts/gpu-bench.sh)" >&2; exit 2; }
  mkdir -p "$DIR/node_modules/webgpu/dist/linux-x64" "$DIR/node_modules/@img"
  "$repo/node_modules/.bin/esbuild" "$repo/data-scripts/gpu-bench.ts" --bundle --platform=node --format=cjs --target=node20 \
    --log-level=error --outfile="$DIR/gpu-bench.js" --main-fields=module,main \
    --external:webgpu --external:sharp --external:tsx --external:@tensorflow/tfjs-backend-wasm \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
  cp "$repo/data-scripts/gpu-bench-torch.py" "$repo/src/bench/torch_step.py" "$repo/src/bench/complementary.py" "$repo/data-scripts/gpu-bench.sh" "$DIR/"
  # The pretrained tiny backbone every method starts from (the bundle looks for it beside itself).
  mkdir -p "$DIR/pretrained" && cp "$repo/src/weights/pretrained/tiny16.json" "$repo/src/weights/pretrained/tiny16.bin" "$DIR/pretrained/"
  cp "$repo/node_modules/webgpu/index.js" "$repo/node_modules/webgpu/package.json" "$DIR/node_modules/webgpu/"
  # sharp (image decoding, loaded by the wsol command line) and what it requires at run time.
  for m in sharp detect-libc semver @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64; do
    [ -d "$repo/node_modules/$m" ] && { rm -rf "$DIR/node_modules/$m"; cp -r "$repo/node_modules/$m" "$DIR/node_modules/$m"; }
  done
  local level=${GPU_BENCH_XZ_LEVEL:-6}
  [ -f "$DIR/dawn.node.xz" ] || xz -T2 "-$level" -c "$repo/node_modules/webgpu/dist/linux-x64/dawn.node" >"$DIR/dawn.node.xz"
  [ -f "$DIR/node.xz" ] || xz -T2 "-$level" -c "$(command -v node)" >"$DIR/node.xz"
  mkdir -p "$DIR/debs"
  if [ -z "${GPU_BENCH_NO_DEBS:-}" ] && ! ls "$DIR"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpu-bench-apt-lists)
    mkdir -p /tmp/gpu-bench-apt-lists/partial
    apt-get "${o[@]}" update -qq
    (cd "$DIR/debs" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
  (cd "$DIR" && tar cf gpu-bench.tar.partial --exclude=gpu-bench.tar --exclude=gpu-bench.tar.partial --exclude=node_modules/webgpu/dist \
    --exclude=./node --exclude=runs --exclude='*.jsonl' . && mv gpu-bench.tar.partial gpu-bench.tar)
  du -sh "$DIR/gpu-bench.tar"
}

summary() {
  /usr/bin/env python3 - "$DIR/webgpu.jsonl" "$DIR/torch.jsonl" "$DIR/runs.jsonl" <<'EOF'
import json, sys
rows = []
for f in sys.argv[1:]:
    try:
        rows += [json.loads(l) for l in open(f) if l.startswith("{")]
    except FileNotFoundError:
        pass
fmt = lambda v, p=1: "-" if v is None else f"{v:.{p}f}"
ratio = lambda a, b: a / b if a and b else None
for r in rows:
    if r.get("kind") == "adapter":
        print(f"webgpu adapter: {r['adapter']}")
        break
gpus = {f"PyTorch {r['torch']} on {r['gpu']}" for r in rows if r.get("kind") == "torch"}
print("; ".join(sorted(gpus)) or "PyTorch CUDA: no results")
step = {(r["net"], r["kernels"]): r for r in rows if r.get("kind") == "step"}
torch = {(r["net"], r["mode"]): r["ms"] for r in rows if r.get("kind") == "torch"}
disp = {r["net"]: r for r in rows if r.get("kind") == "dispatches"}
bench = [n for n in dict.fromkeys(k[0] for k, r in step.items() if r.get("part", "bench") == "bench")]
if bench:
    print("\nms per training step (median); x tf32 = webgpu (auto, else project) / PyTorch TF32 (matmul and cuDNN); fp32 = TF32 off")
    print(f"{'net':<11} {'auto':>8} {'project':>8} {'filter':>8} {'stock':>8} {'unsafe':>8} {'tf32':>7} {'fp32':>7} {'x tf32':>7} {'x fp32':>7} {'stock/ours':>10} {'GFLOP/s':>8} {'dispatches':>10} {'stock':>6}")
    for n in bench:
        ms = {k: step.get((n, k), {}).get("ms") for k in ("auto", "project", "filter", "stock", "project+unsafe")}
        gflop = next((r.get("gflop") for (nn, _), r in step.items() if nn == n), None)
        t, t32 = torch.get((n, "tf32")), torch.get((n, "fp32"))
        p = ms["auto"] or ms["project"]
        d = disp.get(n, {})
        print(f"{n:<11} {fmt(ms['auto']):>8} {fmt(ms['project']):>8} {fmt(ms['filter']):>8} {fmt(ms['stock']):>8} {fmt(ms['project+unsafe']):>8} {fmt(t, 2):>7} {fmt(t32, 2):>7} {fmt(ratio(p, t)):>7} {fmt(ratio(p, t32)):>7} {fmt(ratio(ms['stock'], p)):>10} {fmt(gflop * 1000 / p if gflop and p else None, 0):>8} {d.get('dispatchesPerStep', '-'):>10} {d.get('stockDispatchesPerStep', '-'):>6}")
method = [k[0] for k, r in step.items() if r.get("part") == "method"]
if method:
    print("\nmethod nets: ms per training step; x torch = webgpu / PyTorch CUDA TF32 (its twin of the net)")
    print(f"{'net':<6} {'batch':>5} {'px':>4} {'webgpu':>8} {'tf32':>7} {'x torch':>8} {'dispatches':>10} {'stock':>6} {'loss diff':>9}")
    for n in method:
        r, d, t = step[(n, "auto")], disp.get(n, {}), torch.get((n, "tf32"))
        diff = d.get("lossDifference")
        print(f"{n:<6} {r.get('batch', '-'):>5} {r.get('inputSize', '-'):>4} {fmt(r['ms']):>8} {fmt(t, 2):>7} {fmt(ratio(r['ms'], t)):>8} {d.get('dispatchesPerStep', '-'):>10} {d.get('stockDispatchesPerStep', '-'):>6} {'-' if diff is None else f'{diff:.1e}':>9}")
notes = [r for r in rows if r.get("kind") == "torch-missing"]
for r in notes:
    print(f"no PyTorch twin of {r['net']}: {r['why']}")
runs = [r for r in rows if r.get("kind") == "run"]
if runs:
    print("\nruns on webgpu (wall seconds)")
    for r in runs:
        extra = f", {r['trainSeconds']:.0f} s training, {r['epochs']} epochs, loss {fmt(r.get('loss'), 3)}" if "trainSeconds" in r else ""
        print(f"  {r['part']:<10} {r.get('name', ''):<16} {fmt(r['seconds'], 0):>6} s  {r.get('status', 'ok')}{extra}")
for r in rows:
    if r.get("kind") == "profile":
        print(f"profile {r['net']} [{r.get('kernels')}] {r.get('kernelCount')} kernels, {r.get('kernelMs')} ms on the GPU; slowest: " + ", ".join(f"{k['kernel']} {k['ms']}" for k in r["top"]))
parts = [r for r in rows if r.get("kind") == "part"]
if parts:
    print("\nparts: " + ", ".join(f"{r['part']} {r['status']} ({r['seconds']} s)" for r in parts))
EOF
}

# Records one line of runs.jsonl: {"kind": "part"|"run", ...}.
record() { printf '%s\n' "$1" >>runs.jsonl; }

# part NAME LIMIT CMD...: runs CMD under the part's timeout (GPU_BENCH_<NAME>_TIMEOUT overrides
# LIMIT), its output appended to $PART_OUT (default webgpu.jsonl), then prints the table so far.
part() {
  local name=$1; shift
  local out=${PART_OUT:-webgpu.jsonl}
  local upper
  upper=$(echo "$name" | tr '[:lower:]-' '[:upper:]_')
  local limit_var="GPU_BENCH_${upper}_TIMEOUT"
  local limit=${!limit_var:-$1}; shift
  echo "== gpu-bench part $name (timeout ${limit} s)"
  local t0 status rc=0
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" 2> >(tee -a "part-$name.log" >&2) | tee -a "$out" || rc=$?
  if [ "$rc" -eq 0 ]; then status=done; elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then status="timed out"; else status="failed (exit $rc)"; fi
  record "{\"kind\":\"part\",\"part\":\"$name\",\"status\":\"$status\",\"seconds\":$(( $(date +%s) - t0 ))}"
  DIR=. summary
  return 0
}

# wsol_run NAME LIMIT ARGS...: one wsol command line run as a part, recorded with its wall time.
wsol_run() {
  local name=$1 limit=$2; shift 2
  local t0; t0=$(date +%s)
  PART_OUT="part-$name.out" part "$name" "$limit" env WSOL_BACKEND=webgpu ./node gpu-bench.js wsol "$@"
  local status; status=$(tail -1 runs.jsonl | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["status"])')
  record "{\"kind\":\"run\",\"part\":\"$name\",\"name\":\"wsol $1\",\"seconds\":$(( $(date +%s) - t0 )),\"status\":\"$status\"}"
}

# torch_part NETS: PyTorch CUDA on the named nets' specs (TF32 and fp32), appended to torch.jsonl.
torch_part() {
  local nets=$1
  if ! /usr/bin/env python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "gpu-bench: PyTorch with CUDA is not available here; no PyTorch times"
    return 0
  fi
  local specs
  specs=$(./node gpu-bench.js specs | python3 -c '
import json, sys
want = sys.argv[1].split(",")
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
for name, why in r.get("missing", {}).items():
    if name in want:
        print(json.dumps({"kind": "torch-missing", "net": name, "why": why}), file=open("torch.jsonl", "a"))
print(json.dumps([s for s in r["specs"] if s["name"] in want]))' "$nets")
  [ "$specs" = "[]" ] && return 0
  PART_OUT=torch.jsonl part torch "${GPU_BENCH_TORCH_TIMEOUT:-120}" python3 gpu-bench-torch.py "$specs" 10
}

run() {
  cd "$DIR"
  [ -x node ] || { xz -dc node.xz >node.partial && chmod +x node.partial && mv node.partial node; }
  [ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { mkdir -p node_modules/webgpu/dist/linux-x64 && xz -dc dawn.node.xz >node_modules/webgpu/dist/linux-x64/dawn.node; }
  # grep without -q reads the whole list: -q would stop early, ldconfig would die of SIGPIPE, and
  # pipefail would then report the library missing.
  if ! ldconfig -p | grep 'libvulkan.so.1 ' >/dev/null; then
    ls debs/*.deb >/dev/null 2>&1 || { echo "gpu-bench: no libvulkan.so.1 on this machine and no packages of it in debs/" >&2; exit 1; }
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
  rm -f webgpu.jsonl torch.jsonl runs.jsonl part-*.log
  # Exact kernel times in the profiles (Dawn quantises timestamps by default).
  export WSOL_DAWN_OPTIONS="disable-dawn-features=timestamp_quantization"
  # shellcheck disable=SC2086  # the *_ARGS variables are word lists
  for p in ${GPU_BENCH_PARTS:-$PARTS_DEFAULT}; do
    case "$p" in
      bench)
        part bench 240 ./node gpu-bench.js bench ${GPU_BENCH_BENCH_ARGS:-}
        if ! grep -q '"kind":"step"' webgpu.jsonl 2>/dev/null && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
          echo "gpu-bench: retrying with the driver's own ICD json"
          VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json VK_ICD_FILENAMES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
            part bench-retry 120 ./node gpu-bench.js bench --kernels auto,stock ${GPU_BENCH_BENCH_ARGS:-}
        fi
        torch_part vgg-64,vgg16-224 ;;
      method)
        part method 180 ./node gpu-bench.js method ${GPU_BENCH_METHOD_ARGS:-}
        torch_part cam,ours ;;
      quick) wsol_run quick 300 reproduce --quick --out runs/reproduce-quick ${GPU_BENCH_QUICK_ARGS:-} ;;
      recipes) part recipes 600 ./node gpu-bench.js recipes --mode "${GPU_BENCH_RECIPE_MODE:-full}" --out runs/recipes ${GPU_BENCH_RECIPES_ARGS:-} ;;
      reproduce) wsol_run reproduce 1200 reproduce --out runs/reproduce ${GPU_BENCH_REPRODUCE_ARGS:-} ;;
      unsafe)
        WSOL_DAWN_OPTIONS="enable-dawn-features=allow_unsafe_apis,skip_validation,disable_robustness,disable_workgroup_init;disable-dawn-features=timestamp_quantization" \
          part unsafe 60 ./node gpu-bench.js bench --kernels project --label +unsafe ${GPU_BENCH_UNSAFE_ARGS:-} ;;
      *) echo "gpu-bench: unknown part \"$p\" in GPU_BENCH_PARTS (known: $PARTS_DEFAULT)" >&2; exit 2 ;;
    esac
  done
}

case "$mode" in
  pack) pack ;;
  run) run "$@" ;;
  summary) summary ;;
  *) echo "usage: bash data-scripts/gpu-bench.sh pack|run|summary [DIR]" >&2; exit 2 ;;
esac
