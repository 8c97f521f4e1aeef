// tsnas native engine: hot TF.js kernels on oneDNN (convolutions, matmul) and OpenMP loops
// (elementwise, reductions, pooling, batch-norm). Every function works in place on the
// Float32Array buffers of TF.js cpu-backend tensors: inputs are read, the output array is
// allocated by the caller (JS) and written here. No copies across the boundary.
//
// Layouts are TF.js's: activations NHWC, conv filters HWIO, depthwise filters HW(C)(M).
// Functions that may fail to build a oneDNN primitive return false; the caller then runs the
// cpu backend's kernel instead.
#include <napi.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// ---------------------------------------------------------------------------------------------
// Engine, stream, scratch arenas
// ---------------------------------------------------------------------------------------------
engine &eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream &strm() {
  static stream s(eng());
  return s;
}

struct Arena {
  void *p = nullptr;
  size_t n = 0;
  void *get(size_t bytes) {
    if (bytes == 0) bytes = 64;
    if (bytes > n) {
      std::free(p);
      size_t sz = (bytes + 4095) & ~size_t(4095);
      p = std::aligned_alloc(64, sz);
      if (!p) throw std::bad_alloc();
      n = sz;
    }
    return p;
  }
};
// Per-thread partial results, each thread's slot on its own cache lines: partials packed side by
// side share a line at the slot boundary, and a hot loop that updates them every row then
// ping-pongs that line between cores (measured: a BN statistics pass on 2 threads ran 2.4× slower
// than on one).
template <class T>
struct Partials {
  size_t stride;
  T *base;
  Partials(int threads, size_t count) : stride(((count * sizeof(T) + 63) / 64) * 64 / sizeof(T)) {
    base = static_cast<T *>(std::aligned_alloc(64, std::max<size_t>(64, (size_t)threads * stride * sizeof(T))));
    if (!base) throw std::bad_alloc();
    std::fill(base, base + (size_t)threads * stride, T(0));
  }
  ~Partials() { std::free(base); }
  Partials(const Partials &) = delete;
  Partials &operator=(const Partials &) = delete;
  T *slot(int t) { return base + (size_t)t * stride; }
};
// 0,1: reordered inputs, 2: primitive-layout output, 3: scratchpad
Arena g_arena[4];

int g_threads = 1;
int g_layout_any = 0;   // 0: activations in NHWC directly, 1: let oneDNN choose (reorders)
int g_conv_algo = 0;    // 0: direct, 1: auto (winograd where oneDNN thinks it helps)
int g_verbose = 0;
int g_winograd = 1;     // Winograd for 3×3 stride-1 convs of ≥ 32 channels

// Below PAR_MIN elements an elementwise loop stays on one thread, and a oneDNN primitive below
// SMALL_FLOPS runs single-threaded: on a loaded machine every parallel region waits for its
// slowest thread to be scheduled (milliseconds), which swamps small ops. TSNAS_NATIVE_PAR_MIN and
// TSNAS_NATIVE_SMALL_FLOPS override them.
size_t PAR_MIN = 1 << 17;
double SMALL_FLOPS = 4e6;

template <class T>
T *data_of(const Napi::Value &v) {
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto ab = ta.ArrayBuffer();
    return reinterpret_cast<T *>(static_cast<uint8_t *>(ab.Data()) + ta.ByteOffset());
  }
  throw Napi::TypeError::New(v.Env(), "expected a typed array");
}
size_t len_of(const Napi::Value &v) { return v.As<Napi::TypedArray>().ElementLength(); }
int64_t num(const Napi::CallbackInfo &info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}
std::vector<int64_t> ints(const Napi::Value &v) {
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::Int32Array>();
    return std::vector<int64_t>(ta.Data(), ta.Data() + ta.ElementLength());
  }
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out[i] = arr.Get(i).As<Napi::Number>().Int64Value();
  return out;
}
std::string key_of(int kind, const std::vector<int64_t> &p) {
  std::string k = std::to_string(kind);
  for (auto v : p) {
    k += ',';
    k += std::to_string(v);
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// A cached oneDNN primitive with user<->primitive layout reorders
// ---------------------------------------------------------------------------------------------
struct Plan {
  primitive prim;
  memory::desc ua, ub, uo;  // user (TF.js) layouts
  memory::desc pa, pb, po;  // layouts the primitive wants
  bool ra = false, rb = false, ro = false;
  primitive rA, rB, rO;
  memory::desc scratch;
  int argA = 0, argB = 0, argO = 0;
  memory::desc ubias;  // forward convolution with a bias (FusedConv2D); zero-size when none
  int nthr = 0;  // threads this primitive was built for and runs with
  std::string impl;
};

/** Run f with the OpenMP thread count set to n (oneDNN reads it at creation and execution). */
template <class F>
void with_threads(int n, F f) {
  if (n == g_threads) return f();
  omp_set_num_threads(n);
  try {
    f();
  } catch (...) {
    omp_set_num_threads(g_threads);
    throw;
  }
  omp_set_num_threads(g_threads);
}

std::unordered_map<std::string, std::unique_ptr<Plan>> g_plans;

template <class PD>
void finish_plan(Plan &pl, const PD &pd, const memory::desc &pa, const memory::desc &pb,
                 const memory::desc &po) {
  pl.pa = pa;
  pl.pb = pb;
  pl.po = po;
  pl.ra = pl.pa != pl.ua;
  pl.rb = pl.pb != pl.ub;
  pl.ro = pl.po != pl.uo;
  if (pl.ra) pl.rA = reorder(reorder::primitive_desc(eng(), pl.ua, eng(), pl.pa));
  if (pl.rb) pl.rB = reorder(reorder::primitive_desc(eng(), pl.ub, eng(), pl.pb));
  if (pl.ro) pl.rO = reorder(reorder::primitive_desc(eng(), pl.po, eng(), pl.uo));
  pl.scratch = pd.scratchpad_desc();
  pl.impl = pd.impl_info_str();
}

void run_plan_(Plan &pl, void *a, void *b, void *o, void *bias) {
  auto &s = strm();
  memory ma(pl.ua, eng(), a), mb(pl.ub, eng(), b), mo(pl.uo, eng(), o);
  memory pa = ma, pb = mb, po = mo;
  if (pl.ra) {
    pa = memory(pl.pa, eng(), g_arena[0].get(pl.pa.get_size()));
    pl.rA.execute(s, {{DNNL_ARG_FROM, ma}, {DNNL_ARG_TO, pa}});
  }
  if (pl.rb) {
    pb = memory(pl.pb, eng(), g_arena[1].get(pl.pb.get_size()));
    pl.rB.execute(s, {{DNNL_ARG_FROM, mb}, {DNNL_ARG_TO, pb}});
  }
  if (pl.ro) po = memory(pl.po, eng(), g_arena[2].get(pl.po.get_size()));
  memory sp(pl.scratch, eng(), g_arena[3].get(pl.scratch.get_size()));
  std::unordered_map<int, memory> args{{pl.argA, pa}, {pl.argB, pb}, {pl.argO, po}, {DNNL_ARG_SCRATCHPAD, sp}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(pl.ubias, eng(), bias));
  pl.prim.execute(s, args);
  if (pl.ro) pl.rO.execute(s, {{DNNL_ARG_FROM, po}, {DNNL_ARG_TO, mo}});
  s.wait();
}

void run_plan(Plan &pl, void *a, void *b, void *o, void *bias = nullptr) {
  with_threads(pl.nthr, [&] { run_plan_(pl, a, b, o, bias); });
}

// ---------------------------------------------------------------------------------------------
// Convolutions. p = [N, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, G]
// kind 0: forward (a=x, b=w, o=y); 1: backward data (a=dy, b=w, o=dx);
// kind 2: backward weights (a=x, b=dy, o=dw). G=1: HWIO filter; G=IC: depthwise [KH,KW,IC,M].
// ---------------------------------------------------------------------------------------------
std::unique_ptr<Plan> make_conv_(int kind, const std::vector<int64_t> &p);

std::unique_ptr<Plan> make_conv(int kind, const std::vector<int64_t> &p) {
  try {
    return make_conv_(kind, p);
  } catch (const dnnl::error &) {
    if (!g_winograd) throw;
    g_winograd = 0;  // retry without Winograd for this shape
    try {
      auto pl = make_conv_(kind, p);
      g_winograd = 1;
      return pl;
    } catch (...) {
      g_winograd = 1;
      throw;
    }
  }
}

std::unique_ptr<Plan> make_conv_(int kind, const std::vector<int64_t> &p) {
  const int64_t N = p[0], IH = p[1], IW = p[2], IC = p[3], OH = p[4], OW = p[5], OC = p[6],
                KH = p[7], KW = p[8], SH = p[9], SW = p[10], DH = p[11], DW = p[12], PT = p[13],
                PL = p[14], PB = p[15], PR = p[16], G = p[17];
  const bool hasBias = p.size() > 18 && p[18] != 0;  // forward only (FusedConv2D)
  const bool reluPost = p.size() > 19 && p[19] == 1;
  memory::dims strides{SH, SW}, dil{DH - 1, DW - 1}, pl{PT, PL}, pr{PB, PR};
  memory::desc xs({N, IC, IH, IW}, dt::f32, tag::nhwc);
  memory::desc ys({N, OC, OH, OW}, dt::f32, tag::nhwc);
  memory::desc ws;
  if (G == 1) {
    ws = memory::desc({OC, IC, KH, KW}, dt::f32, memory::dims{1, OC, KW * IC * OC, IC * OC});
  } else {
    const int64_t M = OC / G;  // channel multiplier; IC == G
    ws = memory::desc({G, M, 1, KH, KW}, dt::f32, memory::dims{M, 1, 1, KW * IC * M, IC * M});
  }
  memory::dims wdims = ws.dims();
  // Winograd F(4×4, 3×3) for 3×3 stride-1 convs of ≥ 32 channels (forward and data gradient):
  // about 2× faster than direct on AVX-512 here, in oneDNN's blocked layout (reordered per call).
  // Below 32 channels the transforms cost more than they save. TSNAS_NATIVE_WINOGRAD=0: off.
  const bool wino = g_winograd && kind != 2 && G == 1 && KH == 3 && KW == 3 && SH == 1 && SW == 1 &&
                    DH == 1 && DW == 1 && IC >= 32 && OC >= 32 && IC % 16 == 0 && OC % 16 == 0;
  const bool any = g_layout_any || wino;
  memory::desc xa = any ? memory::desc({N, IC, IH, IW}, dt::f32, tag::any) : xs;
  memory::desc ya = any ? memory::desc({N, OC, OH, OW}, dt::f32, tag::any) : ys;
  memory::desc wa(wdims, dt::f32, tag::any);
  algorithm algo = wino ? algorithm::convolution_winograd
                        : g_conv_algo ? algorithm::convolution_auto : algorithm::convolution_direct;
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  if (reluPost) {
    post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }

  auto pl_ = std::make_unique<Plan>();
  Plan &P = *pl_;
  memory::desc bs({OC}, dt::f32, tag::x);
  convolution_forward::desc fd = hasBias
      ? convolution_forward::desc(prop_kind::forward_inference, algo, xa, wa, bs, ya, strides, dil, pl, pr)
      : convolution_forward::desc(prop_kind::forward_training, algo, xa, wa, ya, strides, dil, pl, pr);
  if (hasBias) P.ubias = bs;
  convolution_forward::primitive_desc fpd(fd, attr, eng());
  if (kind == 0) {
    P.ua = xs;
    P.ub = ws;
    P.uo = ys;
    P.argA = DNNL_ARG_SRC;
    P.argB = DNNL_ARG_WEIGHTS;
    P.argO = DNNL_ARG_DST;
    P.prim = convolution_forward(fpd);
    finish_plan(P, fpd, fpd.src_desc(), fpd.weights_desc(), fpd.dst_desc());
  } else if (kind == 1) {
    convolution_backward_data::desc bd(algo, xa, wa, ya, strides, dil, pl, pr);
    convolution_backward_data::primitive_desc bpd(bd, attr, eng(), fpd);
    P.ua = ys;
    P.ub = ws;
    P.uo = xs;
    P.argA = DNNL_ARG_DIFF_DST;
    P.argB = DNNL_ARG_WEIGHTS;
    P.argO = DNNL_ARG_DIFF_SRC;
    P.prim = convolution_backward_data(bpd);
    finish_plan(P, bpd, bpd.diff_dst_desc(), bpd.weights_desc(), bpd.diff_src_desc());
  } else {
    convolution_backward_weights::desc bd(algo, xa, wa, ya, strides, dil, pl, pr);
    convolution_backward_weights::primitive_desc bpd(bd, attr, eng(), fpd);
    P.ua = xs;
    P.ub = ys;
    P.uo = ws;
    P.argA = DNNL_ARG_SRC;
    P.argB = DNNL_ARG_DIFF_DST;
    P.argO = DNNL_ARG_DIFF_WEIGHTS;
    P.prim = convolution_backward_weights(bpd);
    finish_plan(P, bpd, bpd.src_desc(), bpd.diff_dst_desc(), bpd.diff_weights_desc());
  }
  return pl_;
}

Plan *get_plan(const std::string &key, std::unique_ptr<Plan> (*make)(int, const std::vector<int64_t> &),
               int kind, const std::vector<int64_t> &p, double flops) {
  auto it = g_plans.find(key);
  if (it != g_plans.end()) return it->second.get();
  std::unique_ptr<Plan> pl;
  const int nthr = flops < SMALL_FLOPS ? 1 : g_threads;
  try {
    with_threads(nthr, [&] { pl = make(kind, p); });
    pl->nthr = nthr;
  } catch (const dnnl::error &e) {
    if (g_verbose) fprintf(stderr, "[tsnas-native] no primitive for %s: %s\n", key.c_str(), e.what());
    pl = nullptr;
  }
  if (pl && g_verbose) fprintf(stderr, "[tsnas-native] %s -> %s (%d threads)\n", key.c_str(), pl->impl.c_str(), pl->nthr);
  Plan *raw = pl.get();
  g_plans.emplace(key, std::move(pl));
  return raw;
}

// Depthwise convolution gradients (channel multiplier 1) as direct loops over NHWC rows, vectorised
// over channels. oneDNN 2.6 has no depthwise kernel for dilated gradients: it falls back to its
// generic grouped kernel or to gemm with one channel per group, 5–25× the forward's time here
// (DARTS' dil_conv ops). p as in Conv (dilations TF-style, 1 = none). Used where
// g_dw_direct says: 1 (default) dilated depthwise gradients only, 2 every depthwise gradient, 0 never.
int g_dw_direct = 1;

bool dw_direct_applies(int kind, const std::vector<int64_t> &p) {
  const int64_t IC = p[3], OC = p[6], G = p[17], DH = p[11], DW = p[12];
  if (kind == 0 || G == 1 || G != IC || OC != IC || g_dw_direct == 0) return false;
  return g_dw_direct == 2 || DH > 1 || DW > 1;
}

// Visit every (output position, in-bounds filter tap) of image n: f(g, in, tap) with g the dy row
// of the output position, in the input row index (n·IH + ih)·IW + iw, tap = kh·KW + kw.
template <class F>
void dw_taps(int64_t n, const float *dy, const std::vector<int64_t> &p, F f) {
  const int64_t IH = p[1], IW = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[7], KW = p[8],
                SH = p[9], SW = p[10], DH = p[11], DW = p[12], PT = p[13], PL = p[14];
  for (int64_t oh = 0; oh < OH; oh++)
    for (int64_t ow = 0; ow < OW; ow++) {
      const float *g = dy + ((n * OH + oh) * OW + ow) * C;
      for (int64_t kh = 0; kh < KH; kh++) {
        const int64_t ih = oh * SH + kh * DH - PT;
        if (ih < 0 || ih >= IH) continue;
        for (int64_t kw = 0; kw < KW; kw++) {
          const int64_t iw = ow * SW + kw * DW - PL;
          if (iw < 0 || iw >= IW) continue;
          f(g, (n * IH + ih) * IW + iw, kh * KW + kw);
        }
      }
    }
}

// kind 1: a = dy [N,OH,OW,C], b = w [KH,KW,C], o = dx [N,IH,IW,C]; kind 2: a = x, b = dy, o = dw.
void dw_direct(int kind, const float *a, const float *b, float *o, const std::vector<int64_t> &p) {
  const int64_t N = p[0], IH = p[1], IW = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[7], KW = p[8];
  const bool par = (size_t)(N * OH * OW * C) >= PAR_MIN && N > 1;
  const int T = par ? g_threads : 1;
  if (kind == 1) {
    const float *dy = a, *w = b;
    float *dx = o;
    // threads over images: each writes only its own image's dx
#pragma omp parallel for schedule(static) num_threads(T)
    for (int64_t n = 0; n < N; n++) {
      std::fill(dx + n * IH * IW * C, dx + (n + 1) * IH * IW * C, 0.f);
      dw_taps(n, dy, p, [&](const float *g, int64_t in, int64_t tap) {
        float *d = dx + in * C;
        const float *wr = w + tap * C;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) d[c] += g[c] * wr[c];
      });
    }
    return;
  }
  const float *x = a, *dy = b;
  Partials<float> part(T, (size_t)(KH * KW * C));
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    float *acc = part.slot(t);
    for (int64_t n = N * t / nt; n < N * (t + 1) / nt; n++)
      dw_taps(n, dy, p, [&](const float *g, int64_t in, int64_t tap) {
        const float *xr = x + in * C;
        float *ar = acc + tap * C;
#pragma omp simd
        for (int64_t c = 0; c < C; c++) ar[c] += xr[c] * g[c];
      });
  }
  const int64_t K = KH * KW * C;
  for (int64_t k = 0; k < K; k++) {
    float s = 0.f;
    for (int t = 0; t < T; t++) s += part.slot(t)[k];
    o[k] = s;
  }
}

Napi::Value Conv(const Napi::CallbackInfo &info) {
  // conv(kind, a, b, o, p[, bias, act]): bias and act (0 linear, 1 relu) for forward only
  int kind = (int)num(info, 0);
  auto p = ints(info[4]);
  if (p.size() != 18) throw Napi::Error::New(info.Env(), "conv: bad parameter count");
  float *bias = nullptr;
  if (kind == 0 && info.Length() > 6 && info[5].IsTypedArray()) {
    bias = data_of<float>(info[5]);
    p.push_back(1);
    p.push_back(num(info, 6));
  } else if (kind == 0 && info.Length() > 6 && num(info, 6) != 0) {
    p.push_back(0);
    p.push_back(num(info, 6));
  }
  if (dw_direct_applies(kind, p)) {
    dw_direct(kind, data_of<float>(info[1]), data_of<float>(info[2]), data_of<float>(info[3]), p);
    return Napi::Boolean::New(info.Env(), true);
  }
  // multiply-adds: N·OH·OW·OC·(IC/G)·KH·KW
  const double flops = 2.0 * p[0] * p[4] * p[5] * p[6] * (double)(p[3] / p[17]) * p[7] * p[8];
  Plan *pl = get_plan(key_of(kind + 1000 * g_threads, p), make_conv, kind, p, flops);
  if (!pl) return Napi::Boolean::New(info.Env(), false);
  run_plan(*pl, data_of<float>(info[1]), data_of<float>(info[2]), data_of<float>(info[3]), bias);
  return Napi::Boolean::New(info.Env(), true);
}

// ---------------------------------------------------------------------------------------------
// Matmul. p = [BA, BB, M, K, N, transA, transB]; a is [BA, M, K] (or [BA, K, M] transposed),
// b is [BB, K, N] (or [BB, N, K]); BA or BB may be 1 (broadcast).
// ---------------------------------------------------------------------------------------------
std::unique_ptr<Plan> make_matmul(int, const std::vector<int64_t> &p) {
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4], tA = p[5], tB = p[6];
  const int64_t B = std::max(BA, BB);
  memory::desc a({BA, M, K}, dt::f32, tA ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1});
  memory::desc b({BB, K, N}, dt::f32, tB ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1});
  memory::desc c({B, M, N}, dt::f32, memory::dims{M * N, N, 1});
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  matmul::desc d(a, b, c);
  matmul::primitive_desc pd(d, attr, eng());
  auto pl = std::make_unique<Plan>();
  pl->ua = a;
  pl->ub = b;
  pl->uo = c;
  pl->argA = DNNL_ARG_SRC;
  pl->argB = DNNL_ARG_WEIGHTS;
  pl->argO = DNNL_ARG_DST;
  pl->prim = matmul(pd);
  finish_plan(*pl, pd, pd.src_desc(), pd.weights_desc(), pd.dst_desc());
  return pl;
}

Napi::Value MatMul(const Napi::CallbackInfo &info) {
  auto p = ints(info[3]);
  if (p.size() != 7) throw Napi::Error::New(info.Env(), "matmul: bad parameter count");
  const double flops = 2.0 * std::max(p[0], p[1]) * p[2] * p[3] * p[4];
  Plan *pl = get_plan(key_of(100 + 1000 * g_threads, p), make_matmul, 0, p, flops);
  if (!pl) return Napi::Boolean::New(info.Env(), false);
  run_plan(*pl, data_of<float>(info[0]), data_of<float>(info[1]), data_of<float>(info[2]));
  return Napi::Boolean::New(info.Env(), true);
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary ops with broadcasting. Each operand is addressed as x[(i / inner) % size]
// over the flat output index i: full (inner 1, size n), scalar (size 1), trailing vector
// (inner 1, size S | n: a per-channel vector), or a leading block (inner > 1).
// ---------------------------------------------------------------------------------------------
template <class F>
void bin_loop(F f, const float *a, int64_t ai, int64_t as, const float *b, int64_t bi, int64_t bs,
              float *o, int64_t n) {
  const bool par = (size_t)n >= PAR_MIN;
  const bool aFull = ai == 1 && as == n, bFull = bi == 1 && bs == n;
  if (aFull && bFull) {
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], b[i]);
    return;
  }
  if (aFull && bs == 1) {
    const float bv = b[0];
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t i = 0; i < n; i++) o[i] = f(a[i], bv);
    return;
  }
  if (bFull && as == 1) {
    const float av = a[0];
#pragma omp parallel for simd schedule(static) if (par)
    for (int64_t i = 0; i < n; i++) o[i] = f(av, b[i]);
    return;
  }
  if (aFull && bi == 1) {  // b: trailing vector of length bs
    const int64_t rows = n / bs, S = bs;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = 0; r < rows; r++) {
      const float *ar = a + r * S;
      float *orow = o + r * S;
#pragma omp simd
      for (int64_t j = 0; j < S; j++) orow[j] = f(ar[j], b[j]);
    }
    return;
  }
  if (bFull && ai == 1) {
    const int64_t rows = n / as, S = as;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = 0; r < rows; r++) {
      const float *br = b + r * S;
      float *orow = o + r * S;
#pragma omp simd
      for (int64_t j = 0; j < S; j++) orow[j] = f(a[j], br[j]);
    }
    return;
  }
  if (aFull && bi > 1) {  // b constant over runs of bi
    const int64_t rows = n / bi, L = bi;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = 0; r < rows; r++) {
      const float bv = b[r % bs];
      const float *ar = a + r * L;
      float *orow = o + r * L;
#pragma omp simd
      for (int64_t j = 0; j < L; j++) orow[j] = f(ar[j], bv);
    }
    return;
  }
  if (bFull && ai > 1) {
    const int64_t rows = n / ai, L = ai;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t r = 0; r < rows; r++) {
      const float av = a[r % as];
      const float *br = b + r * L;
      float *orow = o + r * L;
#pragma omp simd
      for (int64_t j = 0; j < L; j++) orow[j] = f(av, br[j]);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < n; i++) o[i] = f(a[(i / ai) % as], b[(i / bi) % bs]);
}

Napi::Value Binary(const Napi::CallbackInfo &info) {
  // (op, a, aInner, aSize, b, bInner, bSize, out)
  int op = (int)num(info, 0);
  const float *a = data_of<float>(info[1]);
  int64_t ai = num(info, 2), as = num(info, 3);
  const float *b = data_of<float>(info[4]);
  int64_t bi = num(info, 5), bs = num(info, 6);
  float *o = data_of<float>(info[7]);
  int64_t n = (int64_t)len_of(info[7]);
  switch (op) {
    case 0: bin_loop([](float x, float y) { return x + y; }, a, ai, as, b, bi, bs, o, n); break;
    case 1: bin_loop([](float x, float y) { return x - y; }, a, ai, as, b, bi, bs, o, n); break;
    case 2: bin_loop([](float x, float y) { return x * y; }, a, ai, as, b, bi, bs, o, n); break;
    case 3: bin_loop([](float x, float y) { return x / y; }, a, ai, as, b, bi, bs, o, n); break;
    case 4:
      bin_loop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y); },
               a, ai, as, b, bi, bs, o, n);
      break;
    case 5:
      bin_loop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y); },
               a, ai, as, b, bi, bs, o, n);
      break;
    case 6:
      bin_loop([](float x, float y) { float d = x - y; return d * d; }, a, ai, as, b, bi, bs, o, n);
      break;
    case 7:  // ReLU gradient: a = dy, b = x (NaN in x propagates, as dy·step(x) does)
      bin_loop([](float g, float v) { return v > 0 ? g : (std::isnan(v) ? NAN : 0.0f); }, a, ai, as, b, bi, bs, o, n);
      break;
    default: throw Napi::Error::New(info.Env(), "binary: unknown op");
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Elementwise unary ops
// ---------------------------------------------------------------------------------------------
template <class F>
void un_loop(F f, const float *x, float *o, int64_t n) {
#pragma omp parallel for simd schedule(static) if ((size_t)n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i]);
}

Napi::Value Unary(const Napi::CallbackInfo &info) {
  // (op, x, out, alpha)
  int op = (int)num(info, 0);
  const float *x = data_of<float>(info[1]);
  float *o = data_of<float>(info[2]);
  int64_t n = (int64_t)len_of(info[2]);
  float alpha = info.Length() > 3 ? info[3].As<Napi::Number>().FloatValue() : 0.f;
  switch (op) {
    case 0: un_loop([](float v) { return v < 0.f ? 0.f : v; }, x, o, n); break;
    case 1: {
      // step: 1 where x > 0, alpha elsewhere, NaN stays NaN (blend form, so it vectorises)
      const float a = alpha;
#pragma omp parallel for simd schedule(static) if ((size_t)n >= PAR_MIN)
      for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        const float r = v > 0.f ? 1.f : a;
        o[i] = v == v ? r : v;
      }
      break;
    }
    case 2: un_loop([](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); }, x, o, n); break;
    case 3: un_loop([](float v) { return -v; }, x, o, n); break;
    case 4: un_loop([](float v) { return v * v; }, x, o, n); break;
    case 5: un_loop([](float v) { return std::sqrt(v); }, x, o, n); break;
    case 6: un_loop([](float v) { return 1.f / std::sqrt(v); }, x, o, n); break;
    case 7: un_loop([](float v) { return std::exp(v); }, x, o, n); break;
    case 8: un_loop([](float v) { return std::log(v); }, x, o, n); break;
    case 9: un_loop([](float v) { return std::fabs(v); }, x, o, n); break;
    case 10: un_loop([](float v) { return 1.f / (1.f + std::exp(-v)); }, x, o, n); break;
    case 11: un_loop([](float v) { return std::tanh(v); }, x, o, n); break;
    default: throw Napi::Error::New(info.Env(), "unary: unknown op");
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Reductions over the middle axis of x viewed as [A, R, B]: out[a, b] = op_r x[a, r, b]
// op 0 sum, 1 mean, 2 max, 3 min. Sums accumulate in double.
// ---------------------------------------------------------------------------------------------
Napi::Value Reduce(const Napi::CallbackInfo &info) {
  int op = (int)num(info, 0);
  const float *x = data_of<float>(info[1]);
  float *o = data_of<float>(info[2]);
  const int64_t A = num(info, 3), R = num(info, 4), B = num(info, 5);
  const bool par = (size_t)(A * R * B) >= PAR_MIN;
  const bool isSum = op <= 1;
  const double scale = op == 1 ? 1.0 / (double)R : 1.0;
  if (B == 1) {
    // rows of length R
    if (A >= 2 * g_threads || !par) {
#pragma omp parallel for schedule(static) if (par)
      for (int64_t a = 0; a < A; a++) {
        const float *r = x + a * R;
        if (isSum) {
          double s = 0;
#pragma omp simd reduction(+ : s)
          for (int64_t j = 0; j < R; j++) s += r[j];
          o[a] = (float)(s * scale);
        } else {
          float m = r[0];
          for (int64_t j = 1; j < R; j++) {
            float v = r[j];
            if (std::isnan(v)) { m = v; break; }
            m = op == 2 ? (v > m ? v : m) : (v < m ? v : m);
          }
          o[a] = m;
        }
      }
      return info.Env().Undefined();
    }
  }
  if (B == 1) {
    // few long rows (e.g. a full reduction): split each row among threads, vectorised
    for (int64_t a = 0; a < A; a++) {
      const float *r = x + a * R;
      const int T = par ? g_threads : 1;
      std::vector<double> ps(T, 0.0);
      std::vector<float> pm(T, 0.f);
#pragma omp parallel num_threads(T)
      {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
        if (isSum) {
          double sacc = 0;
#pragma omp simd reduction(+ : sacc)
          for (int64_t j = r0; j < r1; j++) sacc += r[j];
          ps[t] = sacc;
        } else if (r1 > r0) {
          float m = r[r0];
          for (int64_t j = r0 + 1; j < r1; j++) {
            const float v = r[j];
            if (std::isnan(v)) { m = v; break; }
            m = op == 2 ? (v > m ? v : m) : (v < m ? v : m);
          }
          pm[t] = m;
        } else {
          pm[t] = op == 2 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
        }
      }
      if (isSum) {
        double sacc = 0;
        for (int t = 0; t < T; t++) sacc += ps[t];
        o[a] = (float)(sacc * scale);
      } else {
        float m = pm[0];
        for (int t = 1; t < T; t++) {
          const float v = pm[t];
          if (std::isnan(v) || std::isnan(m)) m = NAN;
          else m = op == 2 ? (v > m ? v : m) : (v < m ? v : m);
        }
        o[a] = m;
      }
    }
    return info.Env().Undefined();
  }
  if (A == 1 || A < 2 * g_threads) {
    // few outer rows: split R among threads with per-thread partials of size B
    for (int64_t a = 0; a < A; a++) {
      const float *xa = x + a * R * B;
      float *oa = o + a * B;
      const int T = par ? g_threads : 1;
      Partials<double> part(T, (size_t)B);
      Partials<float> partm(T, (size_t)B);
#pragma omp parallel num_threads(T)
      {
        const int t = omp_get_thread_num();
        const int nt = omp_get_num_threads();
        const int64_t r0 = R * t / nt, r1 = R * (t + 1) / nt;
        double *ps = part.slot(t);
        float *pm = partm.slot(t);
        if (isSum) {
          for (int64_t b = 0; b < B; b++) ps[b] = 0;
          for (int64_t r = r0; r < r1; r++) {
            const float *row = xa + r * B;
#pragma omp simd
            for (int64_t b = 0; b < B; b++) ps[b] += row[b];
          }
        } else {
          const float init = op == 2 ? -std::numeric_limits<float>::infinity()
                                     : std::numeric_limits<float>::infinity();
          for (int64_t b = 0; b < B; b++) pm[b] = init;
          for (int64_t r = r0; r < r1; r++) {
            const float *row = xa + r * B;
            for (int64_t b = 0; b < B; b++) {
              float v = row[b];
              if (std::isnan(v) || std::isnan(pm[b])) pm[b] = NAN;
              else pm[b] = op == 2 ? (v > pm[b] ? v : pm[b]) : (v < pm[b] ? v : pm[b]);
            }
          }
        }
      }
      for (int64_t b = 0; b < B; b++) {
        if (isSum) {
          double s = 0;
          for (int t = 0; t < T; t++) s += part.slot(t)[b];
          oa[b] = (float)(s * scale);
        } else {
          float m = partm.slot(0)[b];
          for (int t = 1; t < T; t++) {
            float v = partm.slot(t)[b];
            if (std::isnan(v) || std::isnan(m)) m = NAN;
            else m = op == 2 ? (v > m ? v : m) : (v < m ? v : m);
          }
          oa[b] = m;
        }
      }
    }
    return info.Env().Undefined();
  }
#pragma omp parallel if (par)
  {
    std::vector<double> acc((size_t)B);
#pragma omp for schedule(static)
    for (int64_t a = 0; a < A; a++) {
      const float *xa = x + a * R * B;
      float *oa = o + a * B;
      if (isSum) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t r = 0; r < R; r++) {
          const float *row = xa + r * B;
          double *ac = acc.data();
#pragma omp simd
          for (int64_t b = 0; b < B; b++) ac[b] += row[b];
        }
        for (int64_t b = 0; b < B; b++) oa[b] = (float)(acc[b] * scale);
      } else {
        for (int64_t b = 0; b < B; b++) oa[b] = xa[b];
        for (int64_t r = 1; r < R; r++) {
          const float *row = xa + r * B;
          for (int64_t b = 0; b < B; b++) {
            float v = row[b];
            if (std::isnan(v) || std::isnan(oa[b])) oa[b] = NAN;
            else oa[b] = op == 2 ? (v > oa[b] ? v : oa[b]) : (v < oa[b] ? v : oa[b]);
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Per-channel statistics over rows of a [M, C] view: sums of f(row) into double partials.
// ---------------------------------------------------------------------------------------------
template <class F>
void channel_sums(int64_t M, int64_t C, int nsums, F rowfn, std::vector<double> &out) {
  const bool par = (size_t)(M * C) >= PAR_MIN;
  const int T = par ? g_threads : 1;
  Partials<double> part(T, (size_t)nsums * C);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t r0 = M * t / nt, r1 = M * (t + 1) / nt;
    double *ps = part.slot(t);
    for (int64_t r = r0; r < r1; r++) rowfn(r, ps);
  }
  out.assign((size_t)nsums * C, 0.0);
  for (int t = 0; t < T; t++) {
    const double *ps = part.slot(t);
    for (int64_t k = 0; k < nsums * C; k++) out[k] += ps[k];
  }
}

// o[r, c] = x[r, c]·a[c] + b[c] over the rows of a [M, C] view (BN inference and training).
void channel_affine(const float *x, const float *a, const float *b, float *o, int64_t M, int64_t C) {
#pragma omp parallel for schedule(static) if ((size_t)(M * C) >= PAR_MIN)
  for (int64_t r = 0; r < M; r++) {
    const float *xr = x + r * C;
    float *orow = o + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) orow[c] = xr[c] * a[c] + b[c];
  }
}

// bnAffineForward(x, gamma, beta, y, mean, invstd, C, eps[, variance]): y = γ·(x − mean)·invstd + β with
// batch statistics. x̂ is not stored: the backward pass recomputes it from x (one write fewer).
Napi::Value BnAffineForward(const Napi::CallbackInfo &info) {
  const float *x = data_of<float>(info[0]);
  const float *gamma = data_of<float>(info[1]);
  const float *beta = data_of<float>(info[2]);
  float *y = data_of<float>(info[3]);
  float *mean = data_of<float>(info[4]);
  float *invstd = data_of<float>(info[5]);
  const int64_t C = num(info, 6);
  const double eps = info[7].As<Napi::Number>().DoubleValue();
  float *varOut = info.Length() > 8 && info[8].IsTypedArray() ? data_of<float>(info[8]) : nullptr;  // biased batch variance
  const int64_t n = (int64_t)len_of(info[0]), M = n / C;
  std::vector<double> s;
  std::vector<float> shift(x, x + C);
  const float *sh = shift.data();
  channel_sums(M, C, 2, [&](int64_t r, double *ps) {
    const float *row = x + r * C;
    double *s1 = ps, *s2 = ps + C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      double d = (double)row[c] - sh[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }, s);
  std::vector<float> scale(C), bias(C);
  for (int64_t c = 0; c < C; c++) {
    double m1 = s[c] / (double)M;
    double var = s[C + c] / (double)M - m1 * m1;
    if (var < 0) var = 0;
    mean[c] = (float)(m1 + sh[c]);
    invstd[c] = (float)(1.0 / std::sqrt(var + eps));
    if (varOut) varOut[c] = (float)var;
    scale[c] = gamma[c] * invstd[c];
    bias[c] = beta[c] - mean[c] * scale[c];
  }
  channel_affine(x, scale.data(), bias.data(), y, M, C);
  return info.Env().Undefined();
}

// bnAffineBackward(dy, x, mean, invstd, gamma, dx, dgamma, dbeta, C):
// dβ = Σdy, dγ = Σdy·x̂, dx = γ·invstd·(dy − dβ/M − x̂·dγ/M), x̂ = (x − mean)·invstd.
Napi::Value BnAffineBackward(const Napi::CallbackInfo &info) {
  const float *dy = data_of<float>(info[0]);
  const float *x = data_of<float>(info[1]);
  const float *mean = data_of<float>(info[2]);
  const float *inv = data_of<float>(info[3]);
  const float *gamma = data_of<float>(info[4]);
  float *dx = data_of<float>(info[5]);
  float *dgamma = data_of<float>(info[6]);
  float *dbeta = data_of<float>(info[7]);
  const int64_t C = num(info, 8);
  const int64_t n = (int64_t)len_of(info[0]), M = n / C;
  std::vector<double> s;
  channel_sums(M, C, 2, [&](int64_t r, double *ps) {
    const float *g = dy + r * C, *xr = x + r * C;
    double *s1 = ps, *s2 = ps + C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) {
      s1[c] += g[c];
      s2[c] += (double)g[c] * ((xr[c] - mean[c]) * inv[c]);
    }
  }, s);
  // dx = k·dy + a·x + b per channel, with k = γ·inv, a = −k·inv·dγ/M, b = −k·dβ/M − a·mean
  std::vector<float> kf(C), af(C), bf(C);
  for (int64_t c = 0; c < C; c++) {
    dbeta[c] = (float)s[c];
    dgamma[c] = (float)s[C + c];
    const double k = (double)gamma[c] * inv[c];
    const double a = -k * inv[c] * s[C + c] / (double)M;
    kf[c] = (float)k;
    af[c] = (float)a;
    bf[c] = (float)(-k * s[c] / (double)M - a * mean[c]);
  }
  const float *kp = kf.data(), *ap = af.data(), *bp = bf.data();
  const bool par = (size_t)n >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t r = 0; r < M; r++) {
    const float *g = dy + r * C, *xr = x + r * C;
    float *o = dx + r * C;
#pragma omp simd
    for (int64_t c = 0; c < C; c++) o[c] = kp[c] * g[c] + ap[c] * xr[c] + bp[c];
  }
  return info.Env().Undefined();
}

// The mixed op of a supernet edge: y = Σ_k w_k·x_k over K same-shaped inputs, in one pass.
// weightedSum([x_0..x_{K-1}], w, y)
Napi::Value WeightedSum(const Napi::CallbackInfo &info) {
  auto arr = info[0].As<Napi::Array>();
  const int64_t K = arr.Length();
  std::vector<const float *> xs(K);
  for (int64_t k = 0; k < K; k++) xs[k] = data_of<float>(arr.Get((uint32_t)k));
  const float *w = data_of<float>(info[1]);
  float *y = data_of<float>(info[2]);
  const int64_t n = (int64_t)len_of(info[2]);
  const bool par = (size_t)(n * K) >= PAR_MIN;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t b = 0; b < n; b += 4096) {
    const int64_t e = std::min(n, b + 4096);
    const float w0 = w[0];
    const float *x0 = xs[0];
#pragma omp simd
    for (int64_t i = b; i < e; i++) y[i] = w0 * x0[i];
    for (int64_t k = 1; k < K; k++) {
      const float wk = w[k];
      const float *xk = xs[k];
#pragma omp simd
      for (int64_t i = b; i < e; i++) y[i] += wk * xk[i];
    }
  }
  return info.Env().Undefined();
}

// Its gradient: dx_k = w_k·dy, dw_k = Σ dy·x_k (double accumulation), in one pass.
// weightedSumGrad(dy, [x_k], w, [dx_k], dw)
Napi::Value WeightedSumGrad(const Napi::CallbackInfo &info) {
  const float *dy = data_of<float>(info[0]);
  auto xa = info[1].As<Napi::Array>();
  const float *w = data_of<float>(info[2]);
  auto da = info[3].As<Napi::Array>();
  float *dw = data_of<float>(info[4]);
  const int64_t K = xa.Length();
  std::vector<const float *> xs(K);
  std::vector<float *> dxs(K);
  for (int64_t k = 0; k < K; k++) {
    xs[k] = data_of<float>(xa.Get((uint32_t)k));
    dxs[k] = data_of<float>(da.Get((uint32_t)k));
  }
  const int64_t n = (int64_t)len_of(info[0]);
  const bool par = (size_t)(n * K) >= PAR_MIN;
  const int T = par ? g_threads : 1;
  std::vector<double> part((size_t)T * K, 0.0);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t i0 = n * t / nt, i1 = n * (t + 1) / nt;
    double *ps = part.data() + (size_t)t * K;
    for (int64_t k = 0; k < K; k++) {
      const float *xk = xs[k];
      float *dk = dxs[k];
      const float wk = w[k];
      double acc = 0;
      for (int64_t b = i0; b < i1; b += 4096) {
        const int64_t e = std::min(i1, b + 4096);
        float a = 0;
#pragma omp simd reduction(+ : a)
        for (int64_t i = b; i < e; i++) {
          a += dy[i] * xk[i];
          dk[i] = wk * dy[i];
        }
        acc += a;
      }
      ps[k] = acc;
    }
  }
  for (int64_t k = 0; k < K; k++) {
    double sum = 0;
    for (int t = 0; t < T; t++) sum += part[(size_t)t * K + k];
    dw[k] = (float)sum;
  }
  return info.Env().Undefined();
}

// SGD with momentum over many tensors (PyTorch semantics, as the composed TF.js ops compute it):
// g = s·∇ + wd·p; v = μ·v + g (v = g at the first step); u = nesterov ? g + μ·v : v; p −= lr·u.
// No FMA contraction, so the result is the composed float32 ops' bit for bit.
__attribute__((optimize("fp-contract=off"))) static void sgd_one(
    const float *p, const float *g, const float *v, float *po, float *vo, int64_t n, float lr, float mu,
    float wd, bool nesterov, float scale, bool hasMomentum) {
#pragma omp parallel for schedule(static) if ((size_t)n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    float gi = scale != 1.f ? g[i] * scale : g[i];
    if (wd != 0.f) {
      const float d = p[i] * wd;
      gi = gi + d;
    }
    float u = gi;
    if (hasMomentum) {
      float vi = gi;
      if (v) {
        const float m = v[i] * mu;
        vi = m + gi;
      }
      vo[i] = vi;
      if (nesterov) {
        const float m = vi * mu;
        u = gi + m;
      } else {
        u = vi;
      }
    }
    const float step = u * lr;
    po[i] = p[i] - step;
  }
}

// sgdStep([p], [g], [v | null], [pOut], [vOut | null], lr, mu, wd, nesterov, scale)
Napi::Value SgdStep(const Napi::CallbackInfo &info) {
  auto P = info[0].As<Napi::Array>(), G = info[1].As<Napi::Array>(), V = info[2].As<Napi::Array>();
  auto PO = info[3].As<Napi::Array>(), VO = info[4].As<Napi::Array>();
  const float lr = (float)info[5].As<Napi::Number>().DoubleValue();
  const float mu = (float)info[6].As<Napi::Number>().DoubleValue();
  const float wd = (float)info[7].As<Napi::Number>().DoubleValue();
  const bool nesterov = info[8].ToBoolean();
  const float scale = (float)info[9].As<Napi::Number>().DoubleValue();
  for (uint32_t k = 0; k < P.Length(); k++) {
    Napi::Value vk = V.Get(k), vok = VO.Get(k);
    sgd_one(data_of<float>(P.Get(k)), data_of<float>(G.Get(k)), vk.IsTypedArray() ? data_of<float>(vk) : nullptr,
            data_of<float>(PO.Get(k)), vok.IsTypedArray() ? data_of<float>(vok) : nullptr, (int64_t)len_of(P.Get(k)),
            lr, mu, wd, nesterov, scale, vok.IsTypedArray());
  }
  return info.Env().Undefined();
}

// sumSquares([x]) -> Σ_k Σ_i x_k[i]² (double accumulation)
Napi::Value SumSquares(const Napi::CallbackInfo &info) {
  auto X = info[0].As<Napi::Array>();
  double total = 0;
  for (uint32_t k = 0; k < X.Length(); k++) {
    const float *x = data_of<float>(X.Get(k));
    const int64_t n = (int64_t)len_of(X.Get(k));
    double acc = 0;
#pragma omp parallel for reduction(+ : acc) schedule(static) if ((size_t)n >= PAR_MIN)
    for (int64_t i = 0; i < n; i++) acc += (double)x[i] * x[i];
    total += acc;
  }
  return Napi::Number::New(info.Env(), total);
}

// ---------------------------------------------------------------------------------------------
// NASWOT's binary codes (src/proxies/bits.ts has the same functions in JS, the reference).
// packCodes(x, B, units, out): bit u of row b's words = x[b·units + u] > 0, 32 bits per word.
// addHamming(codes, B, words, dist, mult): dist[i·B + j] += mult·popcount(c_i ^ c_j) for i < j.
// ---------------------------------------------------------------------------------------------
Napi::Value PackCodes(const Napi::CallbackInfo &info) {
  const float *x = data_of<float>(info[0]);
  const int64_t B = (int64_t)num(info, 1), U = (int64_t)num(info, 2);
  uint32_t *out = data_of<uint32_t>(info[3]);
  const int64_t W = (U + 31) / 32;
#pragma omp parallel for schedule(static) if ((size_t)(B * U) >= PAR_MIN)
  for (int64_t b = 0; b < B; b++) {
    const float *row = x + b * U;
    for (int64_t w = 0; w < W; w++) {
      const int64_t u0 = w * 32, n = std::min<int64_t>(32, U - u0);
      uint32_t word = 0;
      for (int64_t k = 0; k < n; k++) word |= (uint32_t)(row[u0 + k] > 0.f) << k;
      out[b * W + w] = word;
    }
  }
  return info.Env().Undefined();
}

Napi::Value AddHamming(const Napi::CallbackInfo &info) {
  const uint32_t *c = data_of<uint32_t>(info[0]);
  const int64_t B = (int64_t)num(info, 1), W = (int64_t)num(info, 2);
  double *dist = data_of<double>(info[3]);
  const double mult = info[4].As<Napi::Number>().DoubleValue();
#pragma omp parallel for schedule(dynamic, 4) if ((size_t)(B * B * W) >= 8 * PAR_MIN)
  for (int64_t i = 0; i < B; i++) {
    const uint32_t *ci = c + i * W;
    for (int64_t j = i + 1; j < B; j++) {
      const uint32_t *cj = c + j * W;
      int64_t total = 0;
#pragma omp simd reduction(+ : total)
      for (int64_t w = 0; w < W; w++) total += __builtin_popcount(ci[w] ^ cj[w]);
      dist[i * B + j] += mult * (double)total;
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// 2-D pooling, NHWC, TF.js semantics (avg divides by the number of in-bounds taps; the avg
// gradient, like TF.js's, divides by KH·KW). p = [N, IH, IW, C, OH, OW, KH, KW, SH, SW, PT, PL]
// ---------------------------------------------------------------------------------------------
Napi::Value Pool(const Napi::CallbackInfo &info) {
  const int kind = (int)num(info, 0);  // 0 max, 1 avg
  const float *x = data_of<float>(info[1]);
  float *y = data_of<float>(info[2]);
  auto p = ints(info[3]);
  const int64_t N = p[0], IH = p[1], IW = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7],
                SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  const bool par = (size_t)(N * OH * OW * C) >= PAR_MIN / 4;
#pragma omp parallel if (par)
  {
    std::vector<float> acc(C);
    std::vector<int> cnt(1);
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++)
      for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t h0 = oh * SH - PT;
        const int64_t hs = std::max<int64_t>(0, h0), he = std::min<int64_t>(IH, h0 + KH);
        for (int64_t ow = 0; ow < OW; ow++) {
          const int64_t w0 = ow * SW - PL;
          const int64_t ws = std::max<int64_t>(0, w0), we = std::min<int64_t>(IW, w0 + KW);
          float *a = acc.data();
          const float init = kind == 0 ? -std::numeric_limits<float>::infinity() : 0.f;
          for (int64_t c = 0; c < C; c++) a[c] = init;
          for (int64_t h = hs; h < he; h++)
            for (int64_t w = ws; w < we; w++) {
              const float *px = x + ((n * IH + h) * IW + w) * C;
              if (kind == 0) {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) a[c] = px[c] > a[c] ? px[c] : a[c];
              } else {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) a[c] += px[c];
              }
            }
          float *py = y + ((n * OH + oh) * OW + ow) * C;
          if (kind == 0) {
            for (int64_t c = 0; c < C; c++) py[c] = a[c];
          } else {
            const float inv = 1.f / (float)((he - hs) * (we - ws));
            for (int64_t c = 0; c < C; c++) py[c] = a[c] * inv;
          }
        }
      }
  }
  return info.Env().Undefined();
}

// maxPoolGrad(dy, x, dx, p): dy routed to the first maximum of each window (TF.js rule).
Napi::Value MaxPoolGrad(const Napi::CallbackInfo &info) {
  const float *dy = data_of<float>(info[0]);
  const float *x = data_of<float>(info[1]);
  float *dx = data_of<float>(info[2]);
  auto p = ints(info[3]);
  const int64_t N = p[0], IH = p[1], IW = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7],
                SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  std::memset(dx, 0, sizeof(float) * N * IH * IW * C);
  // parallel over images: windows of different images never overlap
#pragma omp parallel if (N > 1 && (size_t)(N * OH * OW * C) >= PAR_MIN / 4)
  {
    std::vector<float> best(C);
    std::vector<int64_t> pos(C);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; n++)
      for (int64_t oh = 0; oh < OH; oh++) {
        const int64_t h0 = oh * SH - PT;
        const int64_t hs = std::max<int64_t>(0, h0), he = std::min<int64_t>(IH, h0 + KH);
        for (int64_t ow = 0; ow < OW; ow++) {
          const int64_t w0 = ow * SW - PL;
          const int64_t ws = std::max<int64_t>(0, w0), we = std::min<int64_t>(IW, w0 + KW);
          for (int64_t c = 0; c < C; c++) {
            best[c] = -std::numeric_limits<float>::infinity();
            pos[c] = -1;
          }
          for (int64_t h = hs; h < he; h++)
            for (int64_t w = ws; w < we; w++) {
              const int64_t off = ((n * IH + h) * IW + w) * C;
              const float *px = x + off;
              for (int64_t c = 0; c < C; c++)
                if (px[c] > best[c]) {
                  best[c] = px[c];
                  pos[c] = off + c;
                }
            }
          const float *g = dy + ((n * OH + oh) * OW + ow) * C;
          for (int64_t c = 0; c < C; c++)
            if (pos[c] >= 0) dx[pos[c]] += g[c];
        }
      }
  }
  return info.Env().Undefined();
}

// avgPoolGrad(dy, dx, p)
Napi::Value AvgPoolGrad(const Napi::CallbackInfo &info) {
  const float *dy = data_of<float>(info[0]);
  float *dx = data_of<float>(info[1]);
  auto p = ints(info[2]);
  const int64_t N = p[0], IH = p[1], IW = p[2], C = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7],
                SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  // excludePad (4th argument): divide by the window's in-bounds cells, the gradient of an
  // average that excludes padding (TF.js's AvgPoolGrad always divides by KH·KW)
  const bool excludePad = info.Length() > 3 && info[3].ToBoolean();
  const float full = 1.f / (float)(KH * KW);
  std::memset(dx, 0, sizeof(float) * N * IH * IW * C);
#pragma omp parallel for schedule(static) if (N > 1 && (size_t)(N * OH * OW * C) >= PAR_MIN / 4)
  for (int64_t n = 0; n < N; n++)
    for (int64_t oh = 0; oh < OH; oh++) {
      const int64_t h0 = oh * SH - PT;
      const int64_t hs = std::max<int64_t>(0, h0), he = std::min<int64_t>(IH, h0 + KH);
      for (int64_t ow = 0; ow < OW; ow++) {
        const int64_t w0 = ow * SW - PL;
        const int64_t ws = std::max<int64_t>(0, w0), we = std::min<int64_t>(IW, w0 + KW);
        const float *g = dy + ((n * OH + oh) * OW + ow) * C;
        const float inv = excludePad ? 1.f / (float)((he - hs) * (we - ws)) : full;
        for (int64_t h = hs; h < he; h++)
          for (int64_t w = ws; w < we; w++) {
            float *d = dx + ((n * IH + h) * IW + w) * C;
#pragma omp simd
            for (int64_t c = 0; c < C; c++) d[c] += g[c] * inv;
          }
      }
    }
  return info.Env().Undefined();
}

// addN(arrays, out)
Napi::Value AddN(const Napi::CallbackInfo &info) {
  auto arr = info[0].As<Napi::Array>();
  const uint32_t k = arr.Length();
  std::vector<const float *> xs(k);
  for (uint32_t i = 0; i < k; i++) xs[i] = data_of<float>(arr.Get(i));
  float *o = data_of<float>(info[1]);
  const int64_t n = (int64_t)len_of(info[1]);
  const int64_t BL = 4096;
  const int64_t nb = (n + BL - 1) / BL;
#pragma omp parallel for schedule(static) if ((size_t)(n * k) >= PAR_MIN)
  for (int64_t blk = 0; blk < nb; blk++) {
    const int64_t s = blk * BL, e = std::min(n, s + BL);
    const float *x0 = xs[0];
#pragma omp simd
    for (int64_t i = s; i < e; i++) o[i] = x0[i];
    for (uint32_t j = 1; j < k; j++) {
      const float *xj = xs[j];
#pragma omp simd
      for (int64_t i = s; i < e; i++) o[i] += xj[i];
    }
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Data movement: strided N-d copy (slice, transpose, reverse, pad interior, concat pieces) and fill
// copy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape); strides in elements, may be
// negative (reverse). Rows of the last axis are the unit of work.
// ---------------------------------------------------------------------------------------------
Napi::Value Copy(const Napi::CallbackInfo &info) {
  const float *src = data_of<float>(info[0]);
  const int64_t so = num(info, 1);
  auto ss = ints(info[2]);
  float *dst = data_of<float>(info[3]);
  const int64_t dof = num(info, 4);
  auto ds = ints(info[5]);
  auto shape = ints(info[6]);
  const int r = (int)shape.size();
  if (r == 0) {
    dst[dof] = src[so];
    return info.Env().Undefined();
  }
  int64_t total = 1;
  for (auto d : shape) total *= d;
  if (total == 0) return info.Env().Undefined();
  const int64_t inner = shape[r - 1];
  const int64_t rows = total / inner;
  const int64_t sI = ss[r - 1], dI = ds[r - 1];
#pragma omp parallel for schedule(static) if ((size_t)total >= PAR_MIN && rows > 1)
  for (int64_t row = 0; row < rows; row++) {
    int64_t rem = row, soff = so, doff = dof;
    for (int k = r - 2; k >= 0; k--) {
      const int64_t idx = rem % shape[k];
      rem /= shape[k];
      soff += idx * ss[k];
      doff += idx * ds[k];
    }
    const float *sp = src + soff;
    float *dp = dst + doff;
    if (sI == 1 && dI == 1) {
      std::memcpy(dp, sp, sizeof(float) * inner);
    } else {
      for (int64_t j = 0; j < inner; j++) dp[j * dI] = sp[j * sI];
    }
  }
  return info.Env().Undefined();
}

// affine(x, a, b, out): out[r, c] = x[r, c]·a[c] + b[c] over rows of C = a.length (inference BN)
Napi::Value Affine(const Napi::CallbackInfo &info) {
  const float *x = data_of<float>(info[0]);
  const float *a = data_of<float>(info[1]);
  const float *b = data_of<float>(info[2]);
  float *o = data_of<float>(info[3]);
  const int64_t C = (int64_t)len_of(info[1]);
  channel_affine(x, a, b, o, (int64_t)len_of(info[3]) / C, C);
  return info.Env().Undefined();
}

// fill(dst, value)
Napi::Value Fill(const Napi::CallbackInfo &info) {
  float *dst = data_of<float>(info[0]);
  const float v = info[1].As<Napi::Number>().FloatValue();
  const int64_t n = (int64_t)len_of(info[0]);
#pragma omp parallel for simd schedule(static) if ((size_t)n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) dst[i] = v;
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Info / settings
// ---------------------------------------------------------------------------------------------
const char *isa_name(cpu_isa isa) {
  switch (isa) {
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx512_mic: return "avx512_mic";
    case cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    default: return "any";
  }
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  const dnnl_version_t *v = dnnl_version();
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("threads", g_threads);
  o.Set("isa", isa_name(get_effective_cpu_isa()));
  o.Set("runtime", "OpenMP");
  o.Set("layout", g_layout_any ? "any" : "nhwc");
  o.Set("convAlgo", g_conv_algo ? "auto" : "direct");
  o.Set("winograd", g_winograd != 0);
  o.Set("plans", (double)g_plans.size());
  return o;
}

Napi::Value Configure(const Napi::CallbackInfo &info) {
  auto o = info[0].As<Napi::Object>();
  if (o.Has("threads")) {
    int t = o.Get("threads").As<Napi::Number>().Int32Value();
    if (t > 0 && t != g_threads) {  // plans are keyed by thread count: no rebuild when switching back
      g_threads = t;
      omp_set_num_threads(t);
    }
  }
  bool clear = false;
  if (o.Has("layoutAny")) {
    int v = o.Get("layoutAny").ToBoolean() ? 1 : 0;
    clear |= v != g_layout_any;
    g_layout_any = v;
  }
  if (o.Has("convAuto")) {
    int v = o.Get("convAuto").ToBoolean() ? 1 : 0;
    clear |= v != g_conv_algo;
    g_conv_algo = v;
  }
  if (o.Has("winograd")) {
    int v = o.Get("winograd").ToBoolean() ? 1 : 0;
    clear |= v != g_winograd;
    g_winograd = v;
  }
  if (o.Has("verbose")) g_verbose = o.Get("verbose").ToBoolean() ? 1 : 0;
  if (clear) g_plans.clear();
  return Info(info);
}

Napi::Value ImplOf(const Napi::CallbackInfo &info) {
  // implementation names of cached plans, for diagnostics
  auto o = Napi::Object::New(info.Env());
  for (auto &kv : g_plans) o.Set(kv.first, kv.second ? kv.second->impl : std::string("(fallback)"));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  int t = omp_get_num_procs();
  if (const char *e = std::getenv("TSNAS_THREADS")) {
    int v = std::atoi(e);
    if (v > 0) t = v;
  }
  g_threads = t;
  omp_set_num_threads(t);
  if (const char *e = std::getenv("TSNAS_NATIVE_PAR_MIN")) PAR_MIN = (size_t)std::max(1L, std::atol(e));
  if (const char *e = std::getenv("TSNAS_NATIVE_SMALL_FLOPS")) SMALL_FLOPS = std::atof(e);
  if (const char *e = std::getenv("TSNAS_NATIVE_WINOGRAD")) g_winograd = std::atoi(e) ? 1 : 0;
  if (const char *e = std::getenv("TSNAS_NATIVE_DW_DIRECT")) g_dw_direct = std::max(0, std::min(2, std::atoi(e)));
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("matmul", Napi::Function::New(env, MatMul));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("weightedSum", Napi::Function::New(env, WeightedSum));
  exports.Set("weightedSumGrad", Napi::Function::New(env, WeightedSumGrad));
  exports.Set("bnAffineForward", Napi::Function::New(env, BnAffineForward));
  exports.Set("bnAffineBackward", Napi::Function::New(env, BnAffineBackward));
  exports.Set("pool", Napi::Function::New(env, Pool));
  exports.Set("packCodes", Napi::Function::New(env, PackCodes));
  exports.Set("addHamming", Napi::Function::New(env, AddHamming));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
  exports.Set("addN", Napi::Function::New(env, AddN));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("affine", Napi::Function::New(env, Affine));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("configure", Napi::Function::New(env, Configure));
  exports.Set("plans", Napi::Function::New(env, ImplOf));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsnas_native, Init)
