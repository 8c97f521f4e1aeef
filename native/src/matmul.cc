// Matmul on oneDNN. p = [BA, BB, M, K, N, transA, transB]; a is [BA, M, K] (or [BA, K, M]
// transposed), b is [BB, K, N] (or [BB, N, K]); BA or BB may be 1 (broadcast).
#include "common.h"

namespace tsnas {
namespace {

std::unique_ptr<Plan> make_matmul(int, const std::vector<int64_t> &p) {
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4], tA = p[5], tB = p[6];
  const int64_t B = std::max(BA, BB);
  memory::desc a({BA, M, K}, dt::f32, tA ? memory::dims{M * K, 1, M} : memory::dims{M * K, K, 1});
  memory::desc b({BB, K, N}, dt::f32, tB ? memory::dims{K * N, 1, K} : memory::dims{K * N, N, 1});
  memory::desc c({B, M, N}, dt::f32, memory::dims{M * N, N, 1});
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  matmul::desc d(a, b, c);
  matmul::primitive_desc pd(d, attr, eng());
  auto pl = std::make_unique<Plan>();
  pl->ua = a;
  pl->ub = b;
  pl->uo = c;
  pl->argA = DNNL_ARG_SRC;
  pl->argB = DNNL_ARG_WEIGHTS;
  pl->argO = DNNL_ARG_DST;
  pl->prim = matmul(pd);
  finish_plan(*pl, pd, pd.src_desc(), pd.weights_desc(), pd.dst_desc());
  return pl;
}

Napi::Value MatMul(const Napi::CallbackInfo &info) {
  auto p = ints(info[3]);
  if (p.size() != 7) throw Napi::Error::New(info.Env(), "matmul: bad parameter count");
  const double flops = 2.0 * std::max(p[0], p[1]) * p[2] * p[3] * p[4];
  Plan *pl = get_plan(key_of(100 + 1000 * g_threads, p), make_matmul, 0, p, flops);
  if (!pl) return Napi::Boolean::New(info.Env(), false);
  run_plan(*pl, data_of<float>(info[0]), data_of<float>(info[1]), data_of<float>(info[2]));
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace

void init_matmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, MatMul));
}

}  // namespace tsnas
