// NASWOT's binary codes, called from src/proxies/bits.ts (outside TF.js's kernel registry).
#include "common.h"

namespace tsnas {
namespace {

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

}  // namespace

void init_codes(Napi::Env env, Napi::Object exports) {
  exports.Set("packCodes", Napi::Function::New(env, PackCodes));
  exports.Set("addHamming", Napi::Function::New(env, AddHamming));
}

}  // namespace tsnas
