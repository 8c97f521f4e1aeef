// The optimizer step (TsnasSgdStep) and the global gradient norm's sum of squares (TsnasSumSquares).
#include "common.h"

namespace tsnas {
namespace {

// SGD with momentum over many tensors (PyTorch semantics, as the composed TF.js ops compute it):
// g = s·∇ + wd·p; v = μ·v + g (v = g at the first step); u = nesterov ? g + μ·v : v; p −= lr·u.
// No FMA contraction, so the result is the composed float32 ops' bit for bit.
__attribute__((optimize("fp-contract=off"))) void sgd_one(
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

}  // namespace

void init_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
}

}  // namespace tsnas
