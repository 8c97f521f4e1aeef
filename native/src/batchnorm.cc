// Batch normalisation: training BN with γ, β in one statistics pass and one write (the fused
// TsnasBatchNormAffineForward/Backward kernels), and inference BN as one per-channel affine pass.
#include "common.h"

namespace tsnas {
namespace {

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
  // the first row is the shift (numerically stable sums); an empty batch has none: its
  // statistics are mean 0, variance 0 (PyTorch returns an empty output too)
  std::vector<float> shift = M > 0 ? std::vector<float>(x, x + C) : std::vector<float>(C, 0.0f);
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
    double m1 = M > 0 ? s[c] / (double)M : 0.0;
    double var = M > 0 ? s[C + c] / (double)M - m1 * m1 : 0.0;
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

}  // namespace

void init_batchnorm(Napi::Env env, Napi::Object exports) {
  exports.Set("bnAffineForward", Napi::Function::New(env, BnAffineForward));
  exports.Set("bnAffineBackward", Napi::Function::New(env, BnAffineBackward));
  exports.Set("affine", Napi::Function::New(env, Affine));
}

}  // namespace tsnas
