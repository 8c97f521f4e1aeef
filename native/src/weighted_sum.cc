// The mixed op of a supernet edge (TsnasWeightedSum) and its gradient, each in one pass.
#include "common.h"

namespace tsnas {
namespace {

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

}  // namespace

void init_weighted_sum(Napi::Env env, Napi::Object exports) {
  exports.Set("weightedSum", Napi::Function::New(env, WeightedSum));
  exports.Set("weightedSumGrad", Napi::Function::New(env, WeightedSumGrad));
}

}  // namespace tsnas
