// Elementwise kernels: binary ops with broadcasting, unary ops, and AddN. Binary and unary
// ops are exported by their TF.js kernel names as binary.<Name> and unary.<Name> (common.h).
#include "common.h"

namespace tsnas {
namespace {

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting. Each operand is addressed as x[(i / inner) % size]
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

enum class Bin { Add, Sub, Mul, Div, Max, Min, SqDiff, ReluGrad };
// TF.js kernel names; ReluGrad is tsnas's fused Relu gradient (TsnasReluGrad: a = dy, b = x)
const NamedOp<Bin> BINARY_OPS[] = {
    {"Add", Bin::Add}, {"Sub", Bin::Sub}, {"Multiply", Bin::Mul}, {"RealDiv", Bin::Div},
    {"Maximum", Bin::Max}, {"Minimum", Bin::Min}, {"SquaredDifference", Bin::SqDiff},
    {"ReluGrad", Bin::ReluGrad},
};

Napi::Value Binary(const Napi::CallbackInfo &info) {
  // binary.<Name>(a, aInner, aSize, b, bInner, bSize, out)
  const Bin op = op_of<Bin>(info);
  const float *a = data_of<float>(info[0]);
  int64_t ai = num(info, 1), as = num(info, 2);
  const float *b = data_of<float>(info[3]);
  int64_t bi = num(info, 4), bs = num(info, 5);
  float *o = data_of<float>(info[6]);
  int64_t n = (int64_t)len_of(info[6]);
  switch (op) {
    case Bin::Add: bin_loop([](float x, float y) { return x + y; }, a, ai, as, b, bi, bs, o, n); break;
    case Bin::Sub: bin_loop([](float x, float y) { return x - y; }, a, ai, as, b, bi, bs, o, n); break;
    case Bin::Mul: bin_loop([](float x, float y) { return x * y; }, a, ai, as, b, bi, bs, o, n); break;
    case Bin::Div: bin_loop([](float x, float y) { return x / y; }, a, ai, as, b, bi, bs, o, n); break;
    case Bin::Max:
      bin_loop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y); },
               a, ai, as, b, bi, bs, o, n);
      break;
    case Bin::Min:
      bin_loop([](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y); },
               a, ai, as, b, bi, bs, o, n);
      break;
    case Bin::SqDiff:
      bin_loop([](float x, float y) { float d = x - y; return d * d; }, a, ai, as, b, bi, bs, o, n);
      break;
    case Bin::ReluGrad:  // ReLU gradient: a = dy, b = x (NaN in x propagates, as dy·step(x) does)
      bin_loop([](float g, float v) { return v > 0 ? g : (std::isnan(v) ? NAN : 0.0f); }, a, ai, as, b, bi, bs, o, n);
      break;
    default: throw Napi::Error::New(info.Env(), "binary: unknown op");
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------
// Unary ops
// ---------------------------------------------------------------------------------------------
template <class F>
void un_loop(F f, const float *x, float *o, int64_t n) {
#pragma omp parallel for simd schedule(static) if ((size_t)n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i]);
}

enum class Un { Relu, Step, Relu6, Neg, Square, Sqrt, Rsqrt, Exp, Log, Abs, Sigmoid, Tanh };
// TF.js kernel names
const NamedOp<Un> UNARY_OPS[] = {
    {"Relu", Un::Relu},
    {"Step", Un::Step},
    {"Relu6", Un::Relu6},
    {"Neg", Un::Neg},
    {"Square", Un::Square},
    {"Sqrt", Un::Sqrt},
    {"Rsqrt", Un::Rsqrt},
    {"Exp", Un::Exp},
    {"Log", Un::Log},
    {"Abs", Un::Abs},
    {"Sigmoid", Un::Sigmoid},
    {"Tanh", Un::Tanh},
};

Napi::Value Unary(const Napi::CallbackInfo &info) {
  // unary.<Name>(x, out[, alpha]); alpha: Step's value where x <= 0
  const Un op = op_of<Un>(info);
  const float *x = data_of<float>(info[0]);
  float *o = data_of<float>(info[1]);
  int64_t n = (int64_t)len_of(info[1]);
  float alpha = info.Length() > 2 ? info[2].As<Napi::Number>().FloatValue() : 0.f;
  switch (op) {
    case Un::Relu: un_loop([](float v) { return v < 0.f ? 0.f : v; }, x, o, n); break;
    case Un::Step: {
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
    case Un::Relu6: un_loop([](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); }, x, o, n); break;
    case Un::Neg: un_loop([](float v) { return -v; }, x, o, n); break;
    case Un::Square: un_loop([](float v) { return v * v; }, x, o, n); break;
    case Un::Sqrt: un_loop([](float v) { return std::sqrt(v); }, x, o, n); break;
    case Un::Rsqrt: un_loop([](float v) { return 1.f / std::sqrt(v); }, x, o, n); break;
    case Un::Exp: un_loop([](float v) { return std::exp(v); }, x, o, n); break;
    case Un::Log: un_loop([](float v) { return std::log(v); }, x, o, n); break;
    case Un::Abs: un_loop([](float v) { return std::fabs(v); }, x, o, n); break;
    case Un::Sigmoid: un_loop([](float v) { return 1.f / (1.f + std::exp(-v)); }, x, o, n); break;
    case Un::Tanh: un_loop([](float v) { return std::tanh(v); }, x, o, n); break;
    default: throw Napi::Error::New(info.Env(), "unary: unknown op");
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

}  // namespace

void init_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", named_kernels(env, Binary, BINARY_OPS));
  exports.Set("unary", named_kernels(env, Unary, UNARY_OPS));
  exports.Set("addN", Napi::Function::New(env, AddN));
}

}  // namespace tsnas
