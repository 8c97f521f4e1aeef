// Reductions over the middle axis of x viewed as [A, R, B]: out[a, b] = op_r x[a, r, b].
// Exported by TF.js kernel name as reduce.{Sum, Mean, Max, Min}. Sums accumulate in double.
#include "common.h"

namespace tsnas {
namespace {

enum class Red { Sum, Mean, Max, Min };
const NamedOp<Red> REDUCE_OPS[] = {{"Sum", Red::Sum}, {"Mean", Red::Mean}, {"Max", Red::Max}, {"Min", Red::Min}};

Napi::Value Reduce(const Napi::CallbackInfo &info) {
  // reduce.<Name>(x, out, A, R, B)
  const Red op = op_of<Red>(info);
  const float *x = data_of<float>(info[0]);
  float *o = data_of<float>(info[1]);
  const int64_t A = num(info, 2), R = num(info, 3), B = num(info, 4);
  const bool par = (size_t)(A * R * B) >= PAR_MIN;
  const bool isSum = op == Red::Sum || op == Red::Mean;
  const bool isMax = op == Red::Max;  // else Min (when not a sum)
  const double scale = op == Red::Mean ? 1.0 / (double)R : 1.0;
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
            m = isMax ? (v > m ? v : m) : (v < m ? v : m);
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
            m = isMax ? (v > m ? v : m) : (v < m ? v : m);
          }
          pm[t] = m;
        } else {
          pm[t] = isMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
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
          else m = isMax ? (v > m ? v : m) : (v < m ? v : m);
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
          const float init = isMax ? -std::numeric_limits<float>::infinity()
                                     : std::numeric_limits<float>::infinity();
          for (int64_t b = 0; b < B; b++) pm[b] = init;
          for (int64_t r = r0; r < r1; r++) {
            const float *row = xa + r * B;
            for (int64_t b = 0; b < B; b++) {
              float v = row[b];
              if (std::isnan(v) || std::isnan(pm[b])) pm[b] = NAN;
              else pm[b] = isMax ? (v > pm[b] ? v : pm[b]) : (v < pm[b] ? v : pm[b]);
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
            else m = isMax ? (v > m ? v : m) : (v < m ? v : m);
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
            else oa[b] = isMax ? (v > oa[b] ? v : oa[b]) : (v < oa[b] ? v : oa[b]);
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void init_reduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", named_kernels(env, Reduce, REDUCE_OPS));
}

}  // namespace tsnas
