// Depthwise convolution gradients (channel multiplier 1) as direct loops over NHWC rows, vectorised
// over channels. oneDNN 2.6 has no depthwise kernel for dilated gradients: it falls back to its
// generic grouped kernel or to gemm with one channel per group, 5–25× the forward's time here
// (DARTS' dil_conv ops). p as in conv.cc (dilations TF-style, 1 = none). Used by conv.cc where
// g_dw_direct says: 1 (default) dilated depthwise gradients only, 2 every depthwise gradient, 0 never.
#include "common.h"

namespace tsnas {

bool dw_direct_applies(int kind, const std::vector<int64_t> &p) {
  const int64_t IC = p[3], OC = p[6], G = p[17], DH = p[11], DW = p[12];
  if (kind == 0 || G == 1 || G != IC || OC != IC || g_dw_direct == 0) return false;
  return g_dw_direct == 2 || DH > 1 || DW > 1;
}

namespace {

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

}  // namespace

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

}  // namespace tsnas
