// The N-API module: reads the settings from the environment, then exports every kernel family
// (each family's init_* sets its own functions; common.h lists them) and the diagnostics.
#include "common.h"

namespace tsnas {
namespace {

const char *isa_name(cpu_isa isa) {
  switch (isa) {
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx512_mic: return "avx512_mic";
    case cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    default: return "any";
  }
}

Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  const dnnl_version_t *v = dnnl_version();
  o.Set("version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("threads", g_threads);
  o.Set("isa", isa_name(get_effective_cpu_isa()));
  o.Set("runtime", "OpenMP");
  o.Set("layout", g_layout_any ? "any" : "nhwc");
  o.Set("convAlgo", g_conv_algo ? "auto" : "direct");
  o.Set("winograd", g_winograd != 0);
  o.Set("plans", (double)g_plans.size());
  return o;
}

Napi::Value Configure(const Napi::CallbackInfo &info) {
  auto o = info[0].As<Napi::Object>();
  if (o.Has("threads")) {
    int t = o.Get("threads").As<Napi::Number>().Int32Value();
    if (t > 0 && t != g_threads) {  // plans are keyed by thread count: no rebuild when switching back
      g_threads = t;
      omp_set_num_threads(t);
    }
  }
  bool clear = false;
  if (o.Has("layoutAny")) {
    int v = o.Get("layoutAny").ToBoolean() ? 1 : 0;
    clear |= v != g_layout_any;
    g_layout_any = v;
  }
  if (o.Has("convAuto")) {
    int v = o.Get("convAuto").ToBoolean() ? 1 : 0;
    clear |= v != g_conv_algo;
    g_conv_algo = v;
  }
  if (o.Has("winograd")) {
    int v = o.Get("winograd").ToBoolean() ? 1 : 0;
    clear |= v != g_winograd;
    g_winograd = v;
  }
  if (o.Has("verbose")) g_verbose = o.Get("verbose").ToBoolean() ? 1 : 0;
  if (clear) g_plans.clear();
  return Info(info);
}

Napi::Value ImplOf(const Napi::CallbackInfo &info) {
  // implementation names of cached plans, for diagnostics
  auto o = Napi::Object::New(info.Env());
  for (auto &kv : g_plans) o.Set(kv.first, kv.second ? kv.second->impl : std::string("(fallback)"));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  int t = omp_get_num_procs();
  if (const char *e = std::getenv("TSNAS_THREADS")) {
    int v = std::atoi(e);
    if (v > 0) t = v;
  }
  g_threads = t;
  omp_set_num_threads(t);
  if (const char *e = std::getenv("TSNAS_NATIVE_PAR_MIN")) PAR_MIN = (size_t)std::max(1L, std::atol(e));
  if (const char *e = std::getenv("TSNAS_NATIVE_SMALL_FLOPS")) SMALL_FLOPS = std::atof(e);
  if (const char *e = std::getenv("TSNAS_NATIVE_WINOGRAD")) g_winograd = std::atoi(e) ? 1 : 0;
  if (const char *e = std::getenv("TSNAS_NATIVE_DW_DIRECT")) g_dw_direct = std::max(0, std::min(2, std::atoi(e)));
  init_conv(env, exports);
  init_matmul(env, exports);
  init_elementwise(env, exports);
  init_reduce(env, exports);
  init_batchnorm(env, exports);
  init_pooling(env, exports);
  init_weighted_sum(env, exports);
  init_optim(env, exports);
  init_copy(env, exports);
  init_codes(env, exports);
  init_memory(env, exports);
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("configure", Napi::Function::New(env, Configure));
  exports.Set("plans", Napi::Function::New(env, ImplOf));
  return exports;
}

}  // namespace
}  // namespace tsnas

// (the macro pastes its argument into an identifier, so it takes an unqualified name)
Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return tsnas::Init(env, exports); }

NODE_API_MODULE(tsnas_native, InitAddon)
