// Native CPU kernels for the wasm backend of tfjs, over oneDNN (Debian's libdnnl, OpenMP build).
//
// Every function works in place on the wasm heap: JS passes the heap (a Uint8Array over the
// wasm memory, `backend.wasm.HEAPU8`) and byte offsets of the tensors, already allocated by the
// wasm backend; nothing is copied in or out. Layouts are tfjs's: activations NHWC, conv filters
// HWIO, matrices row-major. Parameters come as one Float64Array (offsets can exceed 2^31).
//
// oneDNN primitives are cached by shape; each call only wraps the heap pointers in memory objects.
// Errors (a shape oneDNN rejects, an offset outside the heap) throw a JS Error; the TypeScript side
// then runs the wasm kernel instead.
#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using Key = std::vector<int64_t>;

dnnl::engine& Engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& Stream() {
  static dnnl::stream s(Engine());
  return s;
}

// Threads: all of OpenMP's (OMP_NUM_THREADS, default: every core) for big operations, one for
// small ones. A parallel region costs a fork and a join, and on a busy machine the second thread
// may wait a whole scheduler time slice for a core: for small operations that costs far more than
// it saves (measured: a 16 px step went from 70 ms on wasm to 250 ms natively under load).
// The number used for big operations can be changed at run time (setThreads; see thread-policy.ts).
// oneDNN's results depend on it (the order of its sums), the other kernels' results do not.
const int kMaxThreads = omp_get_max_threads();
int bigWorkThreads = kMaxThreads;
constexpr double kSmallWork = 4e6;  // multiply-adds (or elements for pooling) below which one thread runs

int UseThreads(double work) {
  const int t = work < kSmallWork ? 1 : bigWorkThreads;
  omp_set_num_threads(t);
  return t;
}

struct Heap {
  uint8_t* base;
  size_t bytes;
};

Heap GetHeap(const Napi::Env& env, const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t byteOffset = 0;
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &byteOffset) != napi_ok || type != napi_uint8_array) {
    throw Napi::TypeError::New(env, "wsol_native: argument 0 must be the wasm heap as a Uint8Array");
  }
  return {static_cast<uint8_t*>(data), length};
}

std::vector<double> GetParams(const Napi::Env& env, const Napi::Value& v, size_t expected, const char* fn) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, std::string("wsol_native.") + fn + ": argument 1 must be a Float64Array of parameters");
  }
  auto a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != expected) {
    throw Napi::RangeError::New(env, std::string("wsol_native.") + fn + ": expected " + std::to_string(expected) + " parameters, got " +
                                         std::to_string(a.ElementLength()));
  }
  return std::vector<double>(a.Data(), a.Data() + expected);
}

// A float32 tensor of `count` elements at byte `offset` in the heap, bounds-checked.
float* At(const Napi::Env& env, const Heap& h, double offset, int64_t count, const char* what) {
  if (!(offset >= 0) || std::fmod(offset, 4.0) != 0 || count < 0 || offset + 4.0 * static_cast<double>(count) > static_cast<double>(h.bytes)) {
    throw Napi::RangeError::New(env, std::string("wsol_native: tensor ") + what + " at byte " + std::to_string(static_cast<long long>(offset)) + " (" + std::to_string(count) +
                                         " floats) lies outside the wasm heap of " + std::to_string(h.bytes) + " bytes");
  }
  return reinterpret_cast<float*>(h.base + static_cast<size_t>(offset));
}

// ---------------------------------------------------------------- convolutions

// Shape of one 2D convolution (NHWC / HWIO), as computed by tfjs's computeConv2DInfo.
struct ConvShape {
  int64_t n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr;
  static constexpr size_t kCount = 17;
  explicit ConvShape(const double* p)
      : n(p[0]), ih(p[1]), iw(p[2]), ic(p[3]), oc(p[4]), kh(p[5]), kw(p[6]), oh(p[7]), ow(p[8]), sh(p[9]), sw(p[10]), dh(p[11]), dw(p[12]),
        pt(p[13]), pl(p[14]), pb(p[15]), pr(p[16]) {}
  Key key() const { return {n, ih, iw, ic, oc, kh, kw, oh, ow, sh, sw, dh, dw, pt, pl, pb, pr}; }
  memory::desc src() const { return memory::desc({n, ic, ih, iw}, dt::f32, tag::nhwc); }
  memory::desc dst() const { return memory::desc({n, oc, oh, ow}, dt::f32, tag::nhwc); }
  memory::desc weightsUser() const { return memory::desc({oc, ic, kh, kw}, dt::f32, tag::hwio); }
  memory::desc weightsAny() const { return memory::desc({oc, ic, kh, kw}, dt::f32, tag::any); }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilates() const { return {dh - 1, dw - 1}; }
  memory::dims padL() const { return {pt, pl}; }
  memory::dims padR() const { return {pb, pr}; }
  int64_t srcSize() const { return n * ih * iw * ic; }
  int64_t dstSize() const { return n * oh * ow * oc; }
  int64_t weightsSize() const { return kh * kw * ic * oc; }
  double macs() const { return static_cast<double>(n) * oh * ow * oc * kh * kw * ic; }
  dnnl::convolution_forward::primitive_desc forwardHint() const {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src(), weightsAny(), dst(), strides(),
                                      dilates(), padL(), padR());
    return dnnl::convolution_forward::primitive_desc(d, Engine());
  }
};

// Activation codes shared with kernels.ts.
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 3, kSigmoid = 4, kElu = 5 };

struct ConvForward {
  dnnl::convolution_forward prim;
  memory::desc srcMd, dstMd, userWeightsMd, biasMd;
  bool reorderWeights = false;
  dnnl::reorder weightsReorder;
  memory weights;  // in the primitive's preferred layout, refreshed each call
};

struct ConvBackwardData {
  dnnl::convolution_backward_data prim;
  memory::desc diffSrcMd, diffDstMd, userWeightsMd;
  bool reorderWeights = false;
  dnnl::reorder weightsReorder;
  memory weights;
};

struct ConvBackwardWeights {
  dnnl::convolution_backward_weights prim;
  memory::desc srcMd, diffDstMd, userWeightsMd;
  bool reorderWeights = false;
  dnnl::reorder weightsReorder;  // from the primitive's layout to HWIO
  memory diffWeights;
};

std::map<Key, std::unique_ptr<ConvForward>> convForwardCache;
std::map<Key, std::unique_ptr<ConvBackwardData>> convBackwardDataCache;
std::map<Key, std::unique_ptr<ConvBackwardWeights>> convBackwardWeightsCache;

ConvForward& GetConvForward(const ConvShape& s, bool bias, int activation, float alpha) {
  Key key = s.key();
  key.push_back(UseThreads(s.macs()));
  key.push_back(bias);
  key.push_back(activation);
  key.push_back(static_cast<int64_t>(std::llround(static_cast<double>(alpha) * 1e9)));
  auto it = convForwardCache.find(key);
  if (it != convForwardCache.end()) return *it->second;
  auto e = std::make_unique<ConvForward>();
  e->srcMd = s.src();
  e->dstMd = s.dst();
  e->userWeightsMd = s.weightsUser();
  e->biasMd = memory::desc({s.oc}, dt::f32, tag::x);
  auto d = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, e->srcMd, s.weightsAny(),
                                                  e->biasMd, e->dstMd, s.strides(), s.dilates(), s.padL(), s.padR())
                : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, e->srcMd, s.weightsAny(),
                                                  e->dstMd, s.strides(), s.dilates(), s.padL(), s.padR());
  dnnl::post_ops ops;
  switch (activation) {
    case kLinear: break;
    case kRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); break;
    case kRelu6: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case kLeakyRelu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    case kSigmoid: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case kElu: ops.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
    default: throw std::runtime_error("unknown activation code " + std::to_string(activation));
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  dnnl::convolution_forward::primitive_desc pd(d, attr, Engine());
  e->prim = dnnl::convolution_forward(pd);
  if (pd.weights_desc() != e->userWeightsMd) {
    e->reorderWeights = true;
    e->weights = memory(pd.weights_desc(), Engine());
    e->weightsReorder = dnnl::reorder(memory(e->userWeightsMd, Engine(), nullptr), e->weights);
  }
  auto& ref = *e;
  convForwardCache.emplace(std::move(key), std::move(e));
  return ref;
}

ConvBackwardData& GetConvBackwardData(const ConvShape& s) {
  Key key = s.key();
  key.push_back(UseThreads(s.macs()));
  auto it = convBackwardDataCache.find(key);
  if (it != convBackwardDataCache.end()) return *it->second;
  auto e = std::make_unique<ConvBackwardData>();
  e->diffSrcMd = s.src();
  e->diffDstMd = s.dst();
  e->userWeightsMd = s.weightsUser();
  dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, e->diffSrcMd, s.weightsAny(), e->diffDstMd, s.strides(), s.dilates(),
                                          s.padL(), s.padR());
  dnnl::convolution_backward_data::primitive_desc pd(d, Engine(), s.forwardHint());
  e->prim = dnnl::convolution_backward_data(pd);
  if (pd.weights_desc() != e->userWeightsMd) {
    e->reorderWeights = true;
    e->weights = memory(pd.weights_desc(), Engine());
    e->weightsReorder = dnnl::reorder(memory(e->userWeightsMd, Engine(), nullptr), e->weights);
  }
  auto& ref = *e;
  convBackwardDataCache.emplace(std::move(key), std::move(e));
  return ref;
}

ConvBackwardWeights& GetConvBackwardWeights(const ConvShape& s) {
  Key key = s.key();
  key.push_back(UseThreads(s.macs()));
  auto it = convBackwardWeightsCache.find(key);
  if (it != convBackwardWeightsCache.end()) return *it->second;
  auto e = std::make_unique<ConvBackwardWeights>();
  e->srcMd = s.src();
  e->diffDstMd = s.dst();
  e->userWeightsMd = s.weightsUser();
  dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, e->srcMd, s.weightsAny(), e->diffDstMd, s.strides(), s.dilates(),
                                             s.padL(), s.padR());
  dnnl::convolution_backward_weights::primitive_desc pd(d, Engine(), s.forwardHint());
  e->prim = dnnl::convolution_backward_weights(pd);
  if (pd.diff_weights_desc() != e->userWeightsMd) {
    e->reorderWeights = true;
    e->diffWeights = memory(pd.diff_weights_desc(), Engine());
    e->weightsReorder = dnnl::reorder(e->diffWeights, memory(e->userWeightsMd, Engine(), nullptr));
  }
  auto& ref = *e;
  convBackwardWeightsCache.emplace(std::move(key), std::move(e));
  return ref;
}

// conv2d(heap, params): params = ConvShape, x, filter, bias (-1: none), y byte offsets, activation, alpha.
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], ConvShape::kCount + 6, "conv2d");
  ConvShape s(p.data());
  const double* o = p.data() + ConvShape::kCount;
  float* x = At(env, h, o[0], s.srcSize(), "x");
  float* w = At(env, h, o[1], s.weightsSize(), "filter");
  bool hasBias = o[2] >= 0;
  float* b = hasBias ? At(env, h, o[2], s.oc, "bias") : nullptr;
  float* y = At(env, h, o[3], s.dstSize(), "y");
  auto& e = GetConvForward(s, hasBias, static_cast<int>(o[4]), static_cast<float>(o[5]));
  auto& eng = Engine();
  auto& st = Stream();
  memory userWeights(e.userWeightsMd, eng, w);
  if (e.reorderWeights) e.weightsReorder.execute(st, userWeights, e.weights);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(e.srcMd, eng, x)},
                                       {DNNL_ARG_WEIGHTS, e.reorderWeights ? e.weights : userWeights},
                                       {DNNL_ARG_DST, memory(e.dstMd, eng, y)}};
  if (hasBias) args.emplace(DNNL_ARG_BIAS, memory(e.biasMd, eng, b));
  e.prim.execute(st, args);
  st.wait();
  return env.Undefined();
}

// conv2dBackpropInput(heap, params): params = ConvShape, dy, filter, dx byte offsets.
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], ConvShape::kCount + 3, "conv2dBackpropInput");
  ConvShape s(p.data());
  const double* o = p.data() + ConvShape::kCount;
  float* dy = At(env, h, o[0], s.dstSize(), "dy");
  float* w = At(env, h, o[1], s.weightsSize(), "filter");
  float* dx = At(env, h, o[2], s.srcSize(), "dx");
  auto& e = GetConvBackwardData(s);
  auto& eng = Engine();
  auto& st = Stream();
  memory userWeights(e.userWeightsMd, eng, w);
  if (e.reorderWeights) e.weightsReorder.execute(st, userWeights, e.weights);
  e.prim.execute(st, {{DNNL_ARG_DIFF_DST, memory(e.diffDstMd, eng, dy)},
                      {DNNL_ARG_WEIGHTS, e.reorderWeights ? e.weights : userWeights},
                      {DNNL_ARG_DIFF_SRC, memory(e.diffSrcMd, eng, dx)}});
  st.wait();
  return env.Undefined();
}

// conv2dBackpropFilter(heap, params): params = ConvShape, x, dy, dw byte offsets.
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], ConvShape::kCount + 3, "conv2dBackpropFilter");
  ConvShape s(p.data());
  const double* o = p.data() + ConvShape::kCount;
  float* x = At(env, h, o[0], s.srcSize(), "x");
  float* dy = At(env, h, o[1], s.dstSize(), "dy");
  float* dw = At(env, h, o[2], s.weightsSize(), "dw");
  auto& e = GetConvBackwardWeights(s);
  auto& eng = Engine();
  auto& st = Stream();
  memory userWeights(e.userWeightsMd, eng, dw);
  e.prim.execute(st, {{DNNL_ARG_SRC, memory(e.srcMd, eng, x)},
                      {DNNL_ARG_DIFF_DST, memory(e.diffDstMd, eng, dy)},
                      {DNNL_ARG_DIFF_WEIGHTS, e.reorderWeights ? e.diffWeights : userWeights}});
  if (e.reorderWeights) e.weightsReorder.execute(st, e.diffWeights, userWeights);
  st.wait();
  return env.Undefined();
}

// ---------------------------------------------------------------- max pooling (tfjs semantics)

// Window geometry of one NHWC max pool, as computed by tfjs's computePool2DInfo.
struct PoolShape {
  int64_t n, ih, iw, c, oh, ow, fh, fw, sh, sw, dh, dw, pt, pl;
  static constexpr size_t kCount = 14;
  explicit PoolShape(const double* p)
      : n(p[0]), ih(p[1]), iw(p[2]), c(p[3]), oh(p[4]), ow(p[5]), fh(p[6]), fw(p[7]), sh(p[8]), sw(p[9]), dh(p[10]), dw(p[11]), pt(p[12]), pl(p[13]) {}
  int64_t inSize() const { return n * ih * iw * c; }
  int64_t outSize() const { return n * oh * ow * c; }
  // 2x2 windows with stride 2, all inside the image: the common case, with a vectorised path.
  bool isPlain2x2() const { return fh == 2 && fw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && pt == 0 && pl == 0 && 2 * oh <= ih && 2 * ow <= iw; }
};

// The 2x2 / stride 2 path, one output row (batch entry b, row oy) at a time. For each channel it
// finds the first strictly greatest of the 4 values in row-major order, like ForEachWindowMax, and
// writes the maximum (forward) or routes dy to it (backward; windows do not overlap, so every dx
// entry a window covers is written once).
void Pool2x2Row(const PoolShape& s, const float* __restrict x, int64_t b, int64_t oy, float* __restrict y, const float* __restrict dy, float* __restrict dx) {
  const int64_t c = s.c;
  const float* r0 = x + (b * s.ih + 2 * oy) * s.iw * c;
  const float* r1 = r0 + s.iw * c;
  const int64_t outRow = (b * s.oh + oy) * s.ow * c;
  const int64_t inRow0 = (b * s.ih + 2 * oy) * s.iw * c;
  const int64_t inRow1 = inRow0 + s.iw * c;
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t ox = 0; ox < s.ow; ox++) {
    const float* p00 = r0 + 2 * ox * c;
    const float* p01 = p00 + c;
    const float* p10 = r1 + 2 * ox * c;
    const float* p11 = p10 + c;
    if (y) {
      float* out = y + outRow + ox * c;
      for (int64_t k = 0; k < c; k++) {
        float m = lowest;
        m = p00[k] > m ? p00[k] : m;
        m = p01[k] > m ? p01[k] : m;
        m = p10[k] > m ? p10[k] : m;
        m = p11[k] > m ? p11[k] : m;
        out[k] = m;
      }
    } else {
      const float* g = dy + outRow + ox * c;
      float* d00 = dx + inRow0 + 2 * ox * c;
      float* d01 = d00 + c;
      float* d10 = dx + inRow1 + 2 * ox * c;
      float* d11 = d10 + c;
      // Branch-free (so it vectorises): the first position equal to the maximum is the one the
      // strict > scan picks; a window whose maximum is -Infinity (or all NaN) gets no gradient.
      for (int64_t k = 0; k < c; k++) {
        float m = lowest;
        m = p00[k] > m ? p00[k] : m;
        m = p01[k] > m ? p01[k] : m;
        m = p10[k] > m ? p10[k] : m;
        m = p11[k] > m ? p11[k] : m;
        const float gv = g[k];
        // g_i: the gradient still to route after positions before i declined it.
        const float g0 = m > lowest ? gv : 0.f;
        const float g1 = p00[k] == m ? 0.f : g0;
        const float g2 = p01[k] == m ? 0.f : g1;
        const float g3 = p10[k] == m ? 0.f : g2;
        d00[k] = p00[k] == m ? g0 : 0.f;
        d01[k] = p01[k] == m ? g1 : 0.f;
        d10[k] = p10[k] == m ? g2 : 0.f;
        d11[k] = g3;
      }
    }
  }
}

constexpr int64_t kChannelBlock = 16;

// For channels [c0, c1) of batch entry b, calls visit(outIndex, inIndexOfMax or -1) per output.
// The maximum is the first strictly greatest value in row-major window order, padding skipped,
// exactly as tfjs's cpu backend picks it (a window of NaN or -Infinity has none).
template <typename Visit>
void ForEachWindowMax(const PoolShape& s, const float* x, int64_t b, int64_t c0, int64_t c1, Visit visit) {
  float best[kChannelBlock];
  int64_t where[kChannelBlock];
  const int64_t nc = c1 - c0;
  for (int64_t oy = 0; oy < s.oh; oy++) {
    const int64_t y0 = oy * s.sh - s.pt;
    for (int64_t ox = 0; ox < s.ow; ox++) {
      const int64_t x0 = ox * s.sw - s.pl;
      for (int64_t k = 0; k < nc; k++) {
        best[k] = -std::numeric_limits<float>::infinity();
        where[k] = -1;
      }
      for (int64_t a = 0; a < s.fh; a++) {
        const int64_t iy = y0 + a * s.dh;
        if (iy < 0 || iy >= s.ih) continue;
        for (int64_t bb = 0; bb < s.fw; bb++) {
          const int64_t ix = x0 + bb * s.dw;
          if (ix < 0 || ix >= s.iw) continue;
          const int64_t base = ((b * s.ih + iy) * s.iw + ix) * s.c + c0;
          for (int64_t k = 0; k < nc; k++) {
            const float v = x[base + k];
            if (v > best[k]) {
              best[k] = v;
              where[k] = base + k;
            }
          }
        }
      }
      const int64_t outBase = ((b * s.oh + oy) * s.ow + ox) * s.c + c0;
      for (int64_t k = 0; k < nc; k++) visit(outBase + k, where[k]);
    }
  }
}

// maxPool(heap, params): params = PoolShape, x, y byte offsets.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], PoolShape::kCount + 2, "maxPool");
  PoolShape s(p.data());
  const double* o = p.data() + PoolShape::kCount;
  const float* x = At(env, h, o[0], s.inSize(), "x");
  float* y = At(env, h, o[1], s.outSize(), "y");
  const int64_t blocks = (s.c + kChannelBlock - 1) / kChannelBlock;
  const int threads = UseThreads(static_cast<double>(s.inSize()));
  if (s.isPlain2x2()) {
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
    for (int64_t b = 0; b < s.n; b++) {
      for (int64_t oy = 0; oy < s.oh; oy++) Pool2x2Row(s, x, b, oy, y, nullptr, nullptr);
    }
    return env.Undefined();
  }
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t cb = 0; cb < blocks; cb++) {
      const int64_t c0 = cb * kChannelBlock;
      const int64_t c1 = std::min(s.c, c0 + kChannelBlock);
      // A window with no maximum (all NaN) gives -Infinity, as tfjs's cpu backend does.
      ForEachWindowMax(s, x, b, c0, c1, [&](int64_t out, int64_t at) { y[out] = at >= 0 ? x[at] : -std::numeric_limits<float>::infinity(); });
    }
  }
  return env.Undefined();
}

// maxPoolGrad(heap, params): params = PoolShape, x, dy, dx byte offsets.
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], PoolShape::kCount + 3, "maxPoolGrad");
  PoolShape s(p.data());
  const double* o = p.data() + PoolShape::kCount;
  const float* x = At(env, h, o[0], s.inSize(), "x");
  const float* dy = At(env, h, o[1], s.outSize(), "dy");
  float* dx = At(env, h, o[2], s.inSize(), "dx");
  const int64_t blocks = (s.c + kChannelBlock - 1) / kChannelBlock;
  const int64_t perImage = s.ih * s.iw * s.c;
  const int threads = UseThreads(static_cast<double>(s.inSize()));
  if (s.isPlain2x2() && 2 * s.oh == s.ih && 2 * s.ow == s.iw) {
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
    for (int64_t b = 0; b < s.n; b++) {
      for (int64_t oy = 0; oy < s.oh; oy++) Pool2x2Row(s, x, b, oy, nullptr, dy, dx);
    }
    return env.Undefined();
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t b = 0; b < s.n; b++) std::fill(dx + b * perImage, dx + (b + 1) * perImage, 0.f);
  // Each (batch entry, channel block) owns its own dx entries: no two threads add to the same one.
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t cb = 0; cb < blocks; cb++) {
      const int64_t c0 = cb * kChannelBlock;
      const int64_t c1 = std::min(s.c, c0 + kChannelBlock);
      ForEachWindowMax(s, x, b, c0, c1, [&](int64_t out, int64_t at) {
        if (at >= 0) dx[at] += dy[out];
      });
    }
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- tile

// tile(heap, params): params = rank, element bytes (4), input shape [rank], reps [rank], x, y byte offsets.
// Copies 4-byte elements (float32 or int32): each output row (all axes but the last) is the
// matching input row repeated reps[last] times.
Napi::Value Tile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  if (!info[1].IsTypedArray()) throw Napi::TypeError::New(env, "wsol_native.tile: argument 1 must be a Float64Array of parameters");
  const int64_t rank = static_cast<int64_t>(info[1].As<Napi::Float64Array>().ElementLength() >= 1 ? info[1].As<Napi::Float64Array>()[0] : 0);
  if (rank < 1 || rank > 8) throw Napi::RangeError::New(env, "wsol_native.tile: rank must be 1..8");
  auto p = GetParams(env, info[1], 2 + 2 * rank + 2, "tile");
  std::vector<int64_t> in(rank), reps(rank), out(rank);
  int64_t inSize = 1, outSize = 1;
  for (int64_t d = 0; d < rank; d++) {
    in[d] = static_cast<int64_t>(p[2 + d]);
    reps[d] = static_cast<int64_t>(p[2 + rank + d]);
    out[d] = in[d] * reps[d];
    inSize *= in[d];
    outSize *= out[d];
  }
  const float* x = At(env, h, p[2 + 2 * rank], inSize, "x");
  float* y = At(env, h, p[3 + 2 * rank], outSize, "y");
  if (outSize == 0) return env.Undefined();
  const int64_t last = in[rank - 1];
  const int64_t rows = outSize / out[rank - 1];
  const int threads = UseThreads(static_cast<double>(outSize));
  if (inSize == last) {  // one input row (e.g. a per-channel vector), repeated everywhere
    const int64_t width = out[rank - 1];
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t r = 0; r < rows; r++) {
      float* to = y + r * width;
      for (int64_t k = 0; k < reps[rank - 1]; k++) std::copy(x, x + last, to + k * last);
    }
    return env.Undefined();
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    // Input row of output row r: each axis index modulo the input's size on that axis.
    int64_t rest = r, src = 0, stride = 1;
    for (int64_t d = rank - 2; d >= 0; d--) {
      src += (rest % out[d]) % in[d] * stride;
      stride *= in[d];
      rest /= out[d];
    }
    const float* from = x + src * last;
    float* to = y + r * out[rank - 1];
    for (int64_t k = 0; k < reps[rank - 1]; k++) std::copy(from, from + last, to + k * last);
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- elementwise and reductions

// Ops of binary(); codes shared with kernels.ts.
enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

template <int Op>
inline float Apply(float a, float b) {
  if (Op == kAdd) return a + b;
  if (Op == kSub) return a - b;
  if (Op == kMul) return a * b;
  return a / b;
}

// out[i] = a[i % pa] op b[i % pb], where pa and pb divide n and one of them is n (the other
// operand is either the same shape or repeats along the leading axes: a per-channel vector, a scalar).
template <int Op>
void BinaryLoop(const float* __restrict a, int64_t pa, const float* __restrict b, int64_t pb, float* __restrict out, int64_t n, int threads) {
  if (pa == n && pb == n) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++) out[i] = Apply<Op>(a[i], b[i]);
    return;
  }
  if (pa == 1 || pb == 1) {  // a scalar on one side: one flat loop
    const float sa = a[0], sb = b[0];
    const bool aScalar = pa == 1 && pb == n;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++) out[i] = aScalar ? Apply<Op>(sa, b[i]) : Apply<Op>(a[i], sb);
    return;
  }
  const bool aFull = pa == n;
  const int64_t period = aFull ? pb : pa;
  const int64_t rows = n / period;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t base = r * period;
    if (aFull) {
      for (int64_t k = 0; k < period; k++) out[base + k] = Apply<Op>(a[base + k], b[k]);
    } else {
      for (int64_t k = 0; k < period; k++) out[base + k] = Apply<Op>(a[k], b[base + k]);
    }
  }
}

// binary(heap, params): params = op, n, period of a, period of b, a, b, out byte offsets.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 7, "binary");
  const int op = static_cast<int>(p[0]);
  const int64_t n = p[1], pa = p[2], pb = p[3];
  if (n <= 0 || pa <= 0 || pb <= 0 || n % pa != 0 || n % pb != 0 || (pa != n && pb != n)) {
    throw Napi::RangeError::New(env, "wsol_native.binary: each operand must be full size or repeat with a period that divides the output");
  }
  const float* a = At(env, h, p[4], pa, "a");
  const float* b = At(env, h, p[5], pb, "b");
  float* out = At(env, h, p[6], n, "out");
  const int threads = UseThreads(static_cast<double>(n));
  switch (op) {
    case kAdd: BinaryLoop<kAdd>(a, pa, b, pb, out, n, threads); break;
    case kSub: BinaryLoop<kSub>(a, pa, b, pb, out, n, threads); break;
    case kMul: BinaryLoop<kMul>(a, pa, b, pb, out, n, threads); break;
    case kDiv: BinaryLoop<kDiv>(a, pa, b, pb, out, n, threads); break;
    default: throw Napi::RangeError::New(env, "wsol_native.binary: unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

// reduce(heap, params): params = outer, reduced, inner, mean (0/1), x, out byte offsets.
// x viewed as [outer, reduced, inner] -> out [outer, inner], summed (or averaged) over the middle
// axis. Rows are added in blocks of 64 in float32 (in parallel), then the block sums in float64 in
// block order: the result does not depend on the number of threads (training stays reproducible).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 6, "reduce");
  const int64_t outer = p[0], reduced = p[1], inner = p[2];
  const bool mean = p[3] != 0;
  if (outer <= 0 || reduced <= 0 || inner <= 0) throw Napi::RangeError::New(env, "wsol_native.reduce: empty shape");
  const float* x = At(env, h, p[4], outer * reduced * inner, "x");
  float* out = At(env, h, p[5], outer * inner, "out");
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (reduced + kBlock - 1) / kBlock;
  const int threads = UseThreads(static_cast<double>(outer * reduced * inner));
  std::vector<float> partial(outer * blocks * inner, 0.f);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t blk = 0; blk < blocks; blk++) {
      float* part = partial.data() + (o * blocks + blk) * inner;
      const int64_t r1 = std::min(reduced, (blk + 1) * kBlock);
      for (int64_t r = blk * kBlock; r < r1; r++) {
        const float* row = x + (o * reduced + r) * inner;
        for (int64_t k = 0; k < inner; k++) part[k] += row[k];
      }
    }
  }
  const double scale = mean ? 1.0 / static_cast<double>(reduced) : 1.0;
  std::vector<double> acc(inner);
  for (int64_t o = 0; o < outer; o++) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t blk = 0; blk < blocks; blk++) {
      const float* part = partial.data() + (o * blocks + blk) * inner;
      for (int64_t k = 0; k < inner; k++) acc[k] += part[k];
    }
    for (int64_t k = 0; k < inner; k++) out[o * inner + k] = static_cast<float>(acc[k] * scale);
  }
  return env.Undefined();
}

// batchNorm(heap, params): params = n, channels, epsilon, x, mean, variance, offset (-1: none),
// scale (-1: none), y byte offsets. Mean, variance, offset and scale hold one value per channel
// (the last axis): y = (x - mean) * scale / sqrt(variance + epsilon) + offset.
Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 9, "batchNorm");
  const int64_t n = p[0], c = p[1];
  const double eps = p[2];
  if (n <= 0 || c <= 0 || n % c != 0) throw Napi::RangeError::New(env, "wsol_native.batchNorm: size must be a multiple of the channels");
  const float* x = At(env, h, p[3], n, "x");
  const float* mean = At(env, h, p[4], c, "mean");
  const float* var = At(env, h, p[5], c, "variance");
  const float* offset = p[6] >= 0 ? At(env, h, p[6], c, "offset") : nullptr;
  const float* scale = p[7] >= 0 ? At(env, h, p[7], c, "scale") : nullptr;
  float* y = At(env, h, p[8], n, "y");
  std::vector<float> mul(c), add(c);
  for (int64_t k = 0; k < c; k++) {
    const double m = (scale ? scale[k] : 1.0) / std::sqrt(static_cast<double>(var[k]) + eps);
    mul[k] = static_cast<float>(m);
    add[k] = static_cast<float>((offset ? offset[k] : 0.0) - mean[k] * m);
  }
  const int64_t rows = n / c;
  const float* __restrict mu = mul.data();
  const float* __restrict ad = add.data();
  const int threads = UseThreads(static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict xr = x + r * c;
    float* __restrict yr = y + r * c;
    for (int64_t k = 0; k < c; k++) yr[k] = xr[k] * mu[k] + ad[k];
  }
  return env.Undefined();
}

// ---------------------------------------------------------------- fused training ops (src/backend/fused-ops.ts)

// Parameters of variable length (one group per weight).
std::vector<double> GetVarParams(const Napi::Env& env, const Napi::Value& v, size_t head, size_t group, const char* fn) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, std::string("wsol_native.") + fn + ": argument 1 must be a Float64Array of parameters");
  }
  auto a = v.As<Napi::Float64Array>();
  const size_t n = a.ElementLength();
  if (n < head || (n - head) % group != 0) {
    throw Napi::RangeError::New(env, std::string("wsol_native.") + fn + ": expected " + std::to_string(head) + " + " + std::to_string(group) +
                                         " x count parameters, got " + std::to_string(n));
  }
  return std::vector<double>(a.Data(), a.Data() + n);
}

// adamW(heap, params): params = count, step, decoupled (0/1), beta1, beta2, epsilon, then per weight:
// size, rate, decay, weight, grad, m, s, weight out, m out, s out byte offsets. The formula and its
// order are fused-ops.ts's, in float32 with every scalar rounded to float32 once (as the unfused
// tfjs ops do) and no fused multiply-add (-ffp-contract=off), so the result is bit for bit the same.
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  constexpr size_t kHead = 6, kGroup = 10;
  auto p = GetVarParams(env, info[1], kHead, kGroup, "adamW");
  const int64_t count = p[0];
  if (count < 0 || static_cast<size_t>(count) != (p.size() - kHead) / kGroup) throw Napi::RangeError::New(env, "wsol_native.adamW: count does not match the parameters");
  const double step = p[1];
  const bool decoupled = p[2] != 0;
  const float beta1 = static_cast<float>(p[3]), beta2 = static_cast<float>(p[4]);
  const float oneMinusBeta1 = static_cast<float>(1.0 - p[3]), oneMinusBeta2 = static_cast<float>(1.0 - p[4]);
  const float correct1 = static_cast<float>(1.0 - std::pow(p[3], step)), correct2 = static_cast<float>(1.0 - std::pow(p[4], step));
  const float eps = static_cast<float>(p[5]);
  for (int64_t i = 0; i < count; i++) {
    const double* g = p.data() + kHead + i * kGroup;
    const int64_t n = g[0];
    const double rate = g[1], decay = g[2];
    const float* __restrict w = At(env, h, g[3], n, "weight");
    const float* __restrict gr = At(env, h, g[4], n, "grad");
    const float* __restrict m = At(env, h, g[5], n, "m");
    const float* __restrict s = At(env, h, g[6], n, "s");
    float* __restrict wo = At(env, h, g[7], n, "weight out");
    float* __restrict mo = At(env, h, g[8], n, "m out");
    float* __restrict so = At(env, h, g[9], n, "s out");
    const bool coupled = decay > 0 && !decoupled;
    const bool shrink = decay > 0 && decoupled;
    const float decayF = static_cast<float>(decay);
    const float keep = static_cast<float>(1.0 - rate * decay);
    const float rateF = static_cast<float>(rate);
    const int threads = UseThreads(static_cast<double>(n) * 16);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t k = 0; k < n; k++) {
      const float gk = coupled ? gr[k] + w[k] * decayF : gr[k];
      const float wk = shrink ? w[k] * keep : w[k];
      const float mk = m[k] * beta1 + gk * oneMinusBeta1;
      const float sk = s[k] * beta2 + (gk * gk) * oneMinusBeta2;
      const float mHat = mk / correct1;
      const float sHat = sk / correct2;
      mo[k] = mk;
      so[k] = sk;
      wo[k] = wk - (mHat / (std::sqrt(sHat) + eps)) * rateF;
    }
  }
  return env.Undefined();
}

// Per-channel sums over rows of a [rows, c] view, in float64, in blocks of a fixed number of rows
// added in block order: the result does not depend on the number of threads.
template <typename Term>
void ChannelSums(int64_t rows, int64_t c, int threads, Term term, double* out) {
  constexpr int64_t kRows = 256;
  const int64_t blocks = (rows + kRows - 1) / kRows;
  std::vector<double> partial(blocks * c, 0.0);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t b = 0; b < blocks; b++) {
    double* part = partial.data() + b * c;
    const int64_t r1 = std::min(rows, (b + 1) * kRows);
    for (int64_t r = b * kRows; r < r1; r++) {
      for (int64_t k = 0; k < c; k++) part[k] += term(r * c + k, k);
    }
  }
  std::fill(out, out + c, 0.0);
  for (int64_t b = 0; b < blocks; b++) {
    for (int64_t k = 0; k < c; k++) out[k] += partial[b * c + k];
  }
}

// batchNormTrain(heap, params): params = size, channels, epsilon, x, gamma, beta, y, mean, variance
// byte offsets. Statistics over all axes but the last (the channel): mean, then the biased variance
// as the mean of (x - mean)^2 (tf.moments), then y = (x - mean) * gamma / sqrt(variance + eps) + beta.
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 9, "batchNormTrain");
  const int64_t n = p[0], c = p[1];
  const double eps = p[2];
  if (n <= 0 || c <= 0 || n % c != 0) throw Napi::RangeError::New(env, "wsol_native.batchNormTrain: size must be a multiple of the channels");
  const float* __restrict x = At(env, h, p[3], n, "x");
  const float* gamma = At(env, h, p[4], c, "gamma");
  const float* beta = At(env, h, p[5], c, "beta");
  float* __restrict y = At(env, h, p[6], n, "y");
  float* mean = At(env, h, p[7], c, "mean");
  float* var = At(env, h, p[8], c, "variance");
  const int64_t rows = n / c;
  const int threads = UseThreads(static_cast<double>(n) * 4);
  std::vector<double> sum(c), sq(c), mu(c);
  ChannelSums(rows, c, threads, [&](int64_t i, int64_t) { return static_cast<double>(x[i]); }, sum.data());
  for (int64_t k = 0; k < c; k++) mu[k] = sum[k] / static_cast<double>(rows);
  const double* __restrict m = mu.data();
  ChannelSums(rows, c, threads, [&](int64_t i, int64_t k) { const double d = x[i] - m[k]; return d * d; }, sq.data());
  // y = (x - mean) * a + beta: centring first keeps float32 cancellation away from large means.
  std::vector<float> mul(c);
  for (int64_t k = 0; k < c; k++) {
    const double v = sq[k] / static_cast<double>(rows);
    mean[k] = static_cast<float>(mu[k]);
    var[k] = static_cast<float>(v);
    mul[k] = static_cast<float>(gamma[k] / std::sqrt(v + eps));
  }
  const float* __restrict ml = mul.data();
  const float* __restrict mf = mean;
  const float* __restrict bt = beta;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t k = 0; k < c; k++) y[r * c + k] = (x[r * c + k] - mf[k]) * ml[k] + bt[k];
  }
  return env.Undefined();
}

// batchNormTrainGrad(heap, params): params = size, channels, epsilon, dy, x, gamma, mean, variance,
// dMean, dVariance, dx, dGamma, dBeta byte offsets (the formula in fused-ops.ts).
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 13, "batchNormTrainGrad");
  const int64_t n = p[0], c = p[1];
  const double eps = p[2];
  if (n <= 0 || c <= 0 || n % c != 0) throw Napi::RangeError::New(env, "wsol_native.batchNormTrainGrad: size must be a multiple of the channels");
  const float* __restrict dy = At(env, h, p[3], n, "dy");
  const float* __restrict x = At(env, h, p[4], n, "x");
  const float* gamma = At(env, h, p[5], c, "gamma");
  const float* mean = At(env, h, p[6], c, "mean");
  const float* var = At(env, h, p[7], c, "variance");
  const float* dMean = At(env, h, p[8], c, "dMean");
  const float* dVar = At(env, h, p[9], c, "dVariance");
  float* __restrict dx = At(env, h, p[10], n, "dx");
  float* dGamma = At(env, h, p[11], c, "dGamma");
  float* dBeta = At(env, h, p[12], c, "dBeta");
  const int64_t rows = n / c;
  const double count = static_cast<double>(rows);
  const int threads = UseThreads(static_cast<double>(n) * 4);
  std::vector<double> inv(c), sumDy(c), sumDyXhat(c);
  for (int64_t k = 0; k < c; k++) inv[k] = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps);
  const double* __restrict iv = inv.data();
  ChannelSums(rows, c, threads, [&](int64_t i, int64_t) { return static_cast<double>(dy[i]); }, sumDy.data());
  ChannelSums(rows, c, threads, [&](int64_t i, int64_t k) { return static_cast<double>(dy[i]) * ((x[i] - static_cast<double>(mean[k])) * iv[k]); }, sumDyXhat.data());
  // dx = a * dy + b * (x - mean) + d per channel, with
  //   a = gamma * inv, b = -gamma * inv^2 * sum(dy xhat) / M + 2 dVariance / M,
  //   d = -a * sum(dy) / M + dMean / M.
  std::vector<float> ca(c), cb(c), cd(c);
  for (int64_t k = 0; k < c; k++) {
    dBeta[k] = static_cast<float>(sumDy[k]);
    dGamma[k] = static_cast<float>(sumDyXhat[k]);
    const double a = gamma[k] * iv[k];
    const double b = -a * iv[k] * sumDyXhat[k] / count + 2.0 * dVar[k] / count;
    const double d = -a * sumDy[k] / count + dMean[k] / count;
    ca[k] = static_cast<float>(a);
    cb[k] = static_cast<float>(b);
    cd[k] = static_cast<float>(d);
  }
  const float* __restrict fa = ca.data();
  const float* __restrict fb = cb.data();
  const float* __restrict fd = cd.data();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t k = 0; k < c; k++) {
      const int64_t i = r * c + k;
      dx[i] = fa[k] * dy[i] + fb[k] * (x[i] - mean[k]) + fd[k];
    }
  }
  return env.Undefined();
}

// Windowed attention (WsolLocalAttention in fused-ops.ts): each cell of an h x w map attends to the
// (2r+1)^2 cells around it that lie inside the map. Neighbour o of (y, x) is (y + o / side - r,
// x + o % side - r). Dot products and sums in float64; the result does not depend on the threads.
struct Window {
  int64_t n, h, w, d, c, r, side, cells;
  double scale;
  explicit Window(const double* p) : n(p[0]), h(p[1]), w(p[2]), d(p[3]), c(p[4]), r(p[5]), side(2 * r + 1), cells(side * side), scale(p[6]) {}
  // Flat cell of neighbour o of (y, x), or -1 outside the map.
  int64_t Neighbour(int64_t y, int64_t x, int64_t o) const {
    const int64_t ny = y + o / side - r, nx = x + o % side - r;
    return ny >= 0 && ny < h && nx >= 0 && nx < w ? ny * w + nx : -1;
  }
};

void CheckWindow(const Napi::Env& env, const Window& s, const char* fn) {
  if (s.n <= 0 || s.h <= 0 || s.w <= 0 || s.d <= 0 || s.c <= 0 || s.r < 1) throw Napi::RangeError::New(env, std::string("wsol_native.") + fn + ": bad shape or radius");
}

// localAttention(heap, params): params = n, h, w, d, c, radius, scale, q, k, v, context, weights byte offsets.
Napi::Value LocalAttention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 12, "localAttention");
  const Window s(p.data());
  CheckWindow(env, s, "localAttention");
  const int64_t cellsN = s.h * s.w;
  const float* q = At(env, h, p[7], s.n * cellsN * s.d, "q");
  const float* k = At(env, h, p[8], s.n * cellsN * s.d, "k");
  const float* v = At(env, h, p[9], s.n * cellsN * s.c, "v");
  float* ctx = At(env, h, p[10], s.n * cellsN * s.c, "context");
  float* wts = At(env, h, p[11], s.n * cellsN * s.cells, "weights");
  const int threads = UseThreads(static_cast<double>(s.n * cellsN * s.cells * (s.d + s.c)));
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> logit(s.cells), acc(s.c);
    std::vector<int64_t> nb(s.cells);
#pragma omp for schedule(static)
    for (int64_t bp = 0; bp < s.n * cellsN; bp++) {
      const int64_t b = bp / cellsN, pos = bp % cellsN, y = pos / s.w, x = pos % s.w;
      const float* qp = q + bp * s.d;
      double top = -std::numeric_limits<double>::infinity();
      for (int64_t o = 0; o < s.cells; o++) {
        const int64_t u = s.Neighbour(y, x, o);
        nb[o] = u;
        if (u < 0) continue;
        const float* ku = k + (b * cellsN + u) * s.d;
        double dot = 0;
        for (int64_t j = 0; j < s.d; j++) dot += static_cast<double>(qp[j]) * ku[j];
        logit[o] = dot * s.scale;
        top = std::max(top, logit[o]);
      }
      double total = 0;
      for (int64_t o = 0; o < s.cells; o++) {
        logit[o] = nb[o] < 0 ? 0 : std::exp(logit[o] - top);
        total += logit[o];
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      float* wp = wts + bp * s.cells;
      for (int64_t o = 0; o < s.cells; o++) {
        const double a = logit[o] / total;
        wp[o] = static_cast<float>(a);
        if (nb[o] < 0) continue;
        const float* vu = v + (b * cellsN + nb[o]) * s.c;
        for (int64_t j = 0; j < s.c; j++) acc[j] += a * vu[j];
      }
      float* cp = ctx + bp * s.c;
      for (int64_t j = 0; j < s.c; j++) cp[j] = static_cast<float>(acc[j]);
    }
  }
  return env.Undefined();
}

// localAttentionGrad(heap, params): params = n, h, w, d, c, radius, scale, dContext, dWeights, q, k, v,
// weights, dq, dk, dv byte offsets. dk and dv are gathered per cell from the cells that attend to it
// (no scattered writes), so the cells run in parallel.
Napi::Value LocalAttentionGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 16, "localAttentionGrad");
  const Window s(p.data());
  CheckWindow(env, s, "localAttentionGrad");
  const int64_t cellsN = s.h * s.w, total = s.n * cellsN;
  const float* dc = At(env, h, p[7], total * s.c, "dContext");
  const float* dw = At(env, h, p[8], total * s.cells, "dWeights");
  const float* q = At(env, h, p[9], total * s.d, "q");
  const float* k = At(env, h, p[10], total * s.d, "k");
  const float* v = At(env, h, p[11], total * s.c, "v");
  const float* wts = At(env, h, p[12], total * s.cells, "weights");
  float* dq = At(env, h, p[13], total * s.d, "dq");
  float* dk = At(env, h, p[14], total * s.d, "dk");
  float* dv = At(env, h, p[15], total * s.c, "dv");
  const int threads = UseThreads(static_cast<double>(total * s.cells * (s.d + s.c) * 2));
  std::vector<double> dS(total * s.cells, 0.0);
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> dA(s.cells), acc(s.d), av(s.c);
#pragma omp for schedule(static)
    for (int64_t bp = 0; bp < total; bp++) {
      const int64_t b = bp / cellsN, pos = bp % cellsN, y = pos / s.w, x = pos % s.w;
      const float* dcp = dc + bp * s.c;
      const float* wp = wts + bp * s.cells;
      double mix = 0;
      for (int64_t o = 0; o < s.cells; o++) {
        const int64_t u = s.Neighbour(y, x, o);
        double g = dw[bp * s.cells + o];
        if (u >= 0) {
          const float* vu = v + (b * cellsN + u) * s.c;
          for (int64_t j = 0; j < s.c; j++) g += static_cast<double>(dcp[j]) * vu[j];
        }
        dA[o] = g;
        mix += wp[o] * g;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t o = 0; o < s.cells; o++) {
        const double g = wp[o] * (dA[o] - mix);
        dS[bp * s.cells + o] = g;
        const int64_t u = s.Neighbour(y, x, o);
        if (u < 0) continue;
        const float* ku = k + (b * cellsN + u) * s.d;
        for (int64_t j = 0; j < s.d; j++) acc[j] += g * ku[j];
      }
      for (int64_t j = 0; j < s.d; j++) dq[bp * s.d + j] = static_cast<float>(acc[j] * s.scale);
    }
#pragma omp for schedule(static)
    for (int64_t bu = 0; bu < total; bu++) {
      const int64_t b = bu / cellsN, u = bu % cellsN, uy = u / s.w, ux = u % s.w;
      std::vector<double>& ak = acc;
      std::fill(ak.begin(), ak.end(), 0.0);
      std::fill(av.begin(), av.end(), 0.0);
      for (int64_t o = 0; o < s.cells; o++) {
        // The cell whose neighbour o is u.
        const int64_t py = uy - (o / s.side - s.r), px = ux - (o % s.side - s.r);
        if (py < 0 || py >= s.h || px < 0 || px >= s.w) continue;
        const int64_t bp = b * cellsN + py * s.w + px;
        const double g = dS[bp * s.cells + o], a = wts[bp * s.cells + o];
        const float* qp = q + bp * s.d;
        const float* dcp = dc + bp * s.c;
        for (int64_t j = 0; j < s.d; j++) ak[j] += g * qp[j];
        for (int64_t j = 0; j < s.c; j++) av[j] += a * dcp[j];
      }
      for (int64_t j = 0; j < s.d; j++) dk[bu * s.d + j] = static_cast<float>(ak[j] * s.scale);
      for (int64_t j = 0; j < s.c; j++) dv[bu * s.c + j] = static_cast<float>(av[j]);
    }
  }
  return env.Undefined();
}

// scaleAdd(heap, params): params = size, a, scale (one float), b, y byte offsets: y = a * scale + b.
Napi::Value ScaleAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 5, "scaleAdd");
  const int64_t n = p[0];
  if (n <= 0) throw Napi::RangeError::New(env, "wsol_native.scaleAdd: empty tensor");
  const float* __restrict a = At(env, h, p[1], n, "a");
  const float s = *At(env, h, p[2], 1, "scale");
  const float* __restrict b = At(env, h, p[3], n, "b");
  float* __restrict y = At(env, h, p[4], n, "y");
  const int threads = UseThreads(static_cast<double>(n));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < n; i++) y[i] = a[i] * s + b[i];
  return env.Undefined();
}

// ---------------------------------------------------------------- matrix products

struct MatMul {
  dnnl::matmul prim;
  memory::desc aMd, bMd, cMd;
};

std::map<Key, std::unique_ptr<MatMul>> matMulCache;

// batchMatMul(heap, params): params = batchA, batchB, m, k, n, transposeA, transposeB, a, b, c byte offsets.
// A is [batchA, m, k] ([batchA, k, m] when transposed), B [batchB, k, n] ([batchB, n, k]); a batch of 1
// is broadcast; C is [max(batchA, batchB), m, n].
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Heap h = GetHeap(env, info[0]);
  auto p = GetParams(env, info[1], 10, "batchMatMul");
  const int64_t ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4], ta = p[5], tb = p[6];
  const int64_t bc = std::max(ba, bb);
  if (!((ba == bc || ba == 1) && (bb == bc || bb == 1))) throw Napi::RangeError::New(env, "wsol_native.batchMatMul: batch sizes do not broadcast");
  float* a = At(env, h, p[7], ba * m * k, "a");
  float* b = At(env, h, p[8], bb * k * n, "b");
  float* c = At(env, h, p[9], bc * m * n, "c");
  Key key{ba, bb, m, k, n, ta, tb, UseThreads(static_cast<double>(bc) * m * k * n)};
  auto it = matMulCache.find(key);
  if (it == matMulCache.end()) {
    auto e = std::make_unique<MatMul>();
    e->aMd = memory::desc({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
    e->bMd = memory::desc({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
    e->cMd = memory::desc({bc, m, n}, dt::f32, tag::abc);
    dnnl::matmul::desc d(e->aMd, e->bMd, e->cMd);
    e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(d, Engine()));
    it = matMulCache.emplace(key, std::move(e)).first;
  }
  auto& e = *it->second;
  auto& eng = Engine();
  auto& st = Stream();
  e.prim.execute(st, {{DNNL_ARG_SRC, memory(e.aMd, eng, a)}, {DNNL_ARG_WEIGHTS, memory(e.bMd, eng, b)}, {DNNL_ARG_DST, memory(e.cMd, eng, c)}});
  st.wait();
  return env.Undefined();
}

// ---------------------------------------------------------------- module

// info(): what the addon runs on, for `wsol info`.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto v = dnnl::version();
  Napi::Object o = Napi::Object::New(env);
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("cpuRuntime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other");
  o.Set("threads", kMaxThreads);
  o.Set("bigWorkThreads", bigWorkThreads);
  o.Set("smallWorkThreshold", kSmallWork);
  int isa = static_cast<int>(dnnl::get_effective_cpu_isa());
  o.Set("isa", isa);
  size_t cached = convForwardCache.size() + convBackwardDataCache.size() + convBackwardWeightsCache.size() + matMulCache.size();
  o.Set("cachedPrimitives", static_cast<double>(cached));
  return o;
}

// setThreads(n): threads for big operations, 1..OpenMP's maximum; returns the number set.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "wsol_native.setThreads: argument must be a number");
  const int n = info[0].As<Napi::Number>().Int32Value();
  bigWorkThreads = std::max(1, std::min(kMaxThreads, n));
  return Napi::Number::New(env, bigWorkThreads);
}

// clearCache(): drops every cached primitive (tests; frees their scratch memory).
Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  convForwardCache.clear();
  convBackwardDataCache.clear();
  convBackwardWeightsCache.clear();
  matMulCache.clear();
  return info.Env().Undefined();
}

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what() + " (status " + std::to_string(static_cast<int>(e.status)) + ")");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("wsol_native: ") + e.what());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Guarded<Conv2D>, "conv2d"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Guarded<Conv2DBackpropInput>, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Guarded<Conv2DBackpropFilter>, "conv2dBackpropFilter"));
  exports.Set("maxPool", Napi::Function::New(env, Guarded<MaxPool>, "maxPool"));
  exports.Set("maxPoolGrad", Napi::Function::New(env, Guarded<MaxPoolGrad>, "maxPoolGrad"));
  exports.Set("batchMatMul", Napi::Function::New(env, Guarded<BatchMatMul>, "batchMatMul"));
  exports.Set("tile", Napi::Function::New(env, Guarded<Tile>, "tile"));
  exports.Set("binary", Napi::Function::New(env, Guarded<Binary>, "binary"));
  exports.Set("reduce", Napi::Function::New(env, Guarded<Reduce>, "reduce"));
  exports.Set("batchNorm", Napi::Function::New(env, Guarded<BatchNorm>, "batchNorm"));
  exports.Set("adamW", Napi::Function::New(env, Guarded<AdamW>, "adamW"));
  exports.Set("batchNormTrain", Napi::Function::New(env, Guarded<BatchNormTrain>, "batchNormTrain"));
  exports.Set("batchNormTrainGrad", Napi::Function::New(env, Guarded<BatchNormTrainGrad>, "batchNormTrainGrad"));
  exports.Set("localAttention", Napi::Function::New(env, Guarded<LocalAttention>, "localAttention"));
  exports.Set("localAttentionGrad", Napi::Function::New(env, Guarded<LocalAttentionGrad>, "localAttentionGrad"));
  exports.Set("scaleAdd", Napi::Function::New(env, Guarded<ScaleAdd>, "scaleAdd"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache, "clearCache"));
  exports.Set("setThreads", Napi::Function::New(env, Guarded<SetThreads>, "setThreads"));
  return exports;
}

}  // namespace

NODE_API_MODULE(wsol_native, Init)
