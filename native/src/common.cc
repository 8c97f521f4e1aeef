// Shared state of the addon: settings, the oneDNN engine and stream, scratch arenas, and the
// cache of oneDNN primitives ("plans") that conv.cc and matmul.cc build.
#include "common.h"

namespace tsnas {

int g_threads = 1;
int g_layout_any = 0;
int g_conv_algo = 0;
int g_verbose = 0;
int g_winograd = 1;
// 1 (default) dilated depthwise gradients only, 2 every depthwise gradient, 0 never (depthwise.cc)
int g_dw_direct = 1;
size_t PAR_MIN = 1 << 17;
double SMALL_FLOPS = 4e6;

Arena g_arena[4];
std::unordered_map<std::string, std::unique_ptr<Plan>> g_plans;

engine &eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream &strm() {
  static stream s(eng());
  return s;
}

std::vector<int64_t> ints(const Napi::Value &v) {
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::Int32Array>();
    return std::vector<int64_t>(ta.Data(), ta.Data() + ta.ElementLength());
  }
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out[i] = arr.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

namespace {

void run_plan_(Plan &pl, void *a, void *b, void *o, void *bias) {
  auto &s = strm();
  memory ma(pl.ua, eng(), a), mb(pl.ub, eng(), b), mo(pl.uo, eng(), o);
  memory pa = ma, pb = mb, po = mo;
  if (pl.ra) {
    pa = memory(pl.pa, eng(), g_arena[0].get(pl.pa.get_size()));
    pl.rA.execute(s, {{DNNL_ARG_FROM, ma}, {DNNL_ARG_TO, pa}});
  }
  if (pl.rb) {
    pb = memory(pl.pb, eng(), g_arena[1].get(pl.pb.get_size()));
    pl.rB.execute(s, {{DNNL_ARG_FROM, mb}, {DNNL_ARG_TO, pb}});
  }
  if (pl.ro) po = memory(pl.po, eng(), g_arena[2].get(pl.po.get_size()));
  memory sp(pl.scratch, eng(), g_arena[3].get(pl.scratch.get_size()));
  std::unordered_map<int, memory> args{{pl.argA, pa}, {pl.argB, pb}, {pl.argO, po}, {DNNL_ARG_SCRATCHPAD, sp}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(pl.ubias, eng(), bias));
  pl.prim.execute(s, args);
  if (pl.ro) pl.rO.execute(s, {{DNNL_ARG_FROM, po}, {DNNL_ARG_TO, mo}});
  s.wait();
}

}  // namespace

void run_plan(Plan &pl, void *a, void *b, void *o, void *bias) {
  with_threads(pl.nthr, [&] { run_plan_(pl, a, b, o, bias); });
}

Plan *get_plan(const std::string &key, std::unique_ptr<Plan> (*make)(int, const std::vector<int64_t> &),
               int kind, const std::vector<int64_t> &p, double flops) {
  auto it = g_plans.find(key);
  if (it != g_plans.end()) return it->second.get();
  std::unique_ptr<Plan> pl;
  const int nthr = flops < SMALL_FLOPS ? 1 : g_threads;
  try {
    with_threads(nthr, [&] { pl = make(kind, p); });
    pl->nthr = nthr;
  } catch (const dnnl::error &e) {
    if (g_verbose) fprintf(stderr, "[tsnas-native] no primitive for %s: %s\n", key.c_str(), e.what());
    pl = nullptr;
  }
  if (pl && g_verbose) fprintf(stderr, "[tsnas-native] %s -> %s (%d threads)\n", key.c_str(), pl->impl.c_str(), pl->nthr);
  Plan *raw = pl.get();
  g_plans.emplace(key, std::move(pl));
  return raw;
}

}  // namespace tsnas
