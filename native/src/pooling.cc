// 2-D pooling and its gradients, NHWC. Pooling is exported by TF.js kernel name as
// pool.{MaxPool, AvgPool}.
#include "common.h"

namespace tsnas {
namespace {

// ---------------------------------------------------------------------------------------------
// 2-D pooling, NHWC, TF.js semantics (avg divides by the number of in-bounds taps; the avg
// gradient, like TF.js's, divides by KH·KW). p = [N, IH, IW, C, OH, OW, KH, KW, SH, SW, PT, PL]
// ---------------------------------------------------------------------------------------------
enum class PoolOp { Max, Avg };
const NamedOp<PoolOp> POOL_OPS[] = {{"MaxPool", PoolOp::Max}, {"AvgPool", PoolOp::Avg}};

Napi::Value Pool(const Napi::CallbackInfo &info) {
  // pool.<Name>(x, y, p)
  const bool isMax = op_of<PoolOp>(info) == PoolOp::Max;
  const float *x = data_of<float>(info[0]);
  float *y = data_of<float>(info[1]);
  auto p = ints(info[2]);
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
          const float init = isMax ? -std::numeric_limits<float>::infinity() : 0.f;
          for (int64_t c = 0; c < C; c++) a[c] = init;
          for (int64_t h = hs; h < he; h++)
            for (int64_t w = ws; w < we; w++) {
              const float *px = x + ((n * IH + h) * IW + w) * C;
              if (isMax) {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) a[c] = px[c] > a[c] ? px[c] : a[c];
              } else {
#pragma omp simd
                for (int64_t c = 0; c < C; c++) a[c] += px[c];
              }
            }
          float *py = y + ((n * OH + oh) * OW + ow) * C;
          if (isMax) {
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

}  // namespace

void init_pooling(Napi::Env env, Napi::Object exports) {
  exports.Set("pool", named_kernels(env, Pool, POOL_OPS));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
  exports.Set("avgPoolGrad", Napi::Function::New(env, AvgPoolGrad));
}

}  // namespace tsnas
