// tsnas native engine: hot TF.js kernels on oneDNN (convolutions, matmul) and OpenMP loops
// (elementwise, reductions, pooling, batch-norm). Every function works in place on the
// Float32Array buffers of TF.js cpu-backend tensors: inputs are read, the output array is
// allocated by the caller (JS) and written here. No copies across the boundary.
//
// Layouts are TF.js's: activations NHWC, conv filters HWIO, depthwise filters HW(C)(M).
// Functions that may fail to build a oneDNN primitive return false; the caller then runs the
// cpu backend's kernel instead.
//
// This header is what the kernel families (one .cc each) share: settings, argument helpers,
// per-thread partials, the oneDNN plan cache, and the named-kernel tables. addon.cc is the
// module init that calls each family's init_* to export its functions.
#pragma once

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

namespace tsnas {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

// ---------------------------------------------------------------------------------------------
// Settings (common.cc; set from the environment in addon.cc's init and by configure())
// ---------------------------------------------------------------------------------------------
extern int g_threads;
extern int g_layout_any;  // 0: activations in NHWC directly, 1: let oneDNN choose (reorders)
extern int g_conv_algo;   // 0: direct, 1: auto (winograd where oneDNN thinks it helps)
extern int g_verbose;
extern int g_winograd;    // Winograd for 3×3 stride-1 convs of ≥ 32 channels
extern int g_dw_direct;   // depthwise gradients as direct loops (depthwise.cc)

// Below PAR_MIN elements an elementwise loop stays on one thread, and a oneDNN primitive below
// SMALL_FLOPS runs single-threaded: on a loaded machine every parallel region waits for its
// slowest thread to be scheduled (milliseconds), which swamps small ops. TSNAS_NATIVE_PAR_MIN and
// TSNAS_NATIVE_SMALL_FLOPS override them.
extern size_t PAR_MIN;
extern double SMALL_FLOPS;

// ---------------------------------------------------------------------------------------------
// Engine, stream, scratch arenas
// ---------------------------------------------------------------------------------------------
engine &eng();
stream &strm();

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
// 0,1: reordered inputs, 2: primitive-layout output, 3: scratchpad
extern Arena g_arena[4];

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

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------
template <class T>
T *data_of(const Napi::Value &v) {
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto ab = ta.ArrayBuffer();
    return reinterpret_cast<T *>(static_cast<uint8_t *>(ab.Data()) + ta.ByteOffset());
  }
  throw Napi::TypeError::New(v.Env(), "expected a typed array");
}
inline size_t len_of(const Napi::Value &v) { return v.As<Napi::TypedArray>().ElementLength(); }
inline int64_t num(const Napi::CallbackInfo &info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}
std::vector<int64_t> ints(const Napi::Value &v);

// ---------------------------------------------------------------------------------------------
// Named kernels. A family whose kernels share one entry point and differ only by op (binary,
// unary, reduce, pool, conv) is exported as an object {name: function}; each function carries
// its op in its N-API data pointer. JS binds a kernel by its name (TF.js's kernel name where
// there is one) and never holds a numeric op code; a name the addon lacks is simply absent
// from the object, which the TS side reports when it binds the kernel.
// ---------------------------------------------------------------------------------------------
template <class Op>
struct NamedOp {
  const char *name;
  Op op;
};

template <class Op, size_t N>
Napi::Object named_kernels(Napi::Env env, Napi::Value (*fn)(const Napi::CallbackInfo &),
                           const NamedOp<Op> (&ops)[N]) {
  auto o = Napi::Object::New(env);
  for (const auto &e : ops)
    o.Set(e.name, Napi::Function::New(env, fn, e.name, const_cast<NamedOp<Op> *>(&e)));
  return o;
}

/** The op a named-kernel function was created for. */
template <class Op>
Op op_of(const Napi::CallbackInfo &info) {
  return static_cast<const NamedOp<Op> *>(info.Data())->op;
}

// ---------------------------------------------------------------------------------------------
// A cached oneDNN primitive with user<->primitive layout reorders (common.cc)
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

extern std::unordered_map<std::string, std::unique_ptr<Plan>> g_plans;

inline std::string key_of(int kind, const std::vector<int64_t> &p) {
  std::string k = std::to_string(kind);
  for (auto v : p) {
    k += ',';
    k += std::to_string(v);
  }
  return k;
}

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

void run_plan(Plan &pl, void *a, void *b, void *o, void *bias = nullptr);

/** The cached plan for key, built by make(kind, p) on first use; nullptr when oneDNN has none. */
Plan *get_plan(const std::string &key, std::unique_ptr<Plan> (*make)(int, const std::vector<int64_t> &),
               int kind, const std::vector<int64_t> &p, double flops);

// ---------------------------------------------------------------------------------------------
// Depthwise convolution gradients as direct loops (depthwise.cc), used by conv.cc
// ---------------------------------------------------------------------------------------------
bool dw_direct_applies(int kind, const std::vector<int64_t> &p);
void dw_direct(int kind, const float *a, const float *b, float *o, const std::vector<int64_t> &p);

// ---------------------------------------------------------------------------------------------
// Each family's exports (addon.cc calls them all)
// ---------------------------------------------------------------------------------------------
void init_conv(Napi::Env env, Napi::Object exports);
void init_matmul(Napi::Env env, Napi::Object exports);
void init_elementwise(Napi::Env env, Napi::Object exports);
void init_reduce(Napi::Env env, Napi::Object exports);
void init_batchnorm(Napi::Env env, Napi::Object exports);
void init_pooling(Napi::Env env, Napi::Object exports);
void init_weighted_sum(Napi::Env env, Napi::Object exports);
void init_optim(Napi::Env env, Napi::Object exports);
void init_copy(Napi::Env env, Napi::Object exports);
void init_codes(Napi::Env env, Napi::Object exports);
void init_memory(Napi::Env env, Napi::Object exports);

}  // namespace tsnas
