// Data movement: strided copies (Slice, SplitV, Transpose, Reverse, PadV2, Concat) and fill.
#include "common.h"

namespace tsnas {
namespace {

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

// fill(dst, value)
Napi::Value Fill(const Napi::CallbackInfo &info) {
  float *dst = data_of<float>(info[0]);
  const float v = info[1].As<Napi::Number>().FloatValue();
  const int64_t n = (int64_t)len_of(info[0]);
#pragma omp parallel for simd schedule(static) if ((size_t)n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) dst[i] = v;
  return info.Env().Undefined();
}

}  // namespace

void init_copy(Napi::Env env, Napi::Object exports) {
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("fill", Napi::Function::New(env, Fill));
}

}  // namespace tsnas
