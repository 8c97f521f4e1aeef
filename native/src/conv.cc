// Convolutions on oneDNN: forward (optionally with FusedConv2D's bias and ReLU), data gradient,
// filter gradient; grouped (depthwise) when G = IC. Exported as conv.{forward, backwardInput,
// backwardFilter}.
//
// p = [N, IH, IW, IC, OH, OW, OC, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, G]
// kind 0: forward (a=x, b=w, o=y); 1: backward data (a=dy, b=w, o=dx);
// kind 2: backward weights (a=x, b=dy, o=dw). G=1: HWIO filter; G=IC: depthwise [KH,KW,IC,M].
#include "common.h"

namespace tsnas {
namespace {

std::unique_ptr<Plan> make_conv_(int kind, const std::vector<int64_t> &p);

std::unique_ptr<Plan> make_conv(int kind, const std::vector<int64_t> &p) {
  try {
    return make_conv_(kind, p);
  } catch (const dnnl::error &) {
    if (!g_winograd) throw;
    g_winograd = 0;  // retry without Winograd for this shape
    try {
      auto pl = make_conv_(kind, p);
      g_winograd = 1;
      return pl;
    } catch (...) {
      g_winograd = 1;
      throw;
    }
  }
}

std::unique_ptr<Plan> make_conv_(int kind, const std::vector<int64_t> &p) {
  const int64_t N = p[0], IH = p[1], IW = p[2], IC = p[3], OH = p[4], OW = p[5], OC = p[6],
                KH = p[7], KW = p[8], SH = p[9], SW = p[10], DH = p[11], DW = p[12], PT = p[13],
                PL = p[14], PB = p[15], PR = p[16], G = p[17];
  const bool hasBias = p.size() > 18 && p[18] != 0;  // forward only (FusedConv2D)
  const bool reluPost = p.size() > 19 && p[19] == 1;
  memory::dims strides{SH, SW}, dil{DH - 1, DW - 1}, pl{PT, PL}, pr{PB, PR};
  memory::desc xs({N, IC, IH, IW}, dt::f32, tag::nhwc);
  memory::desc ys({N, OC, OH, OW}, dt::f32, tag::nhwc);
  memory::desc ws;
  if (G == 1) {
    ws = memory::desc({OC, IC, KH, KW}, dt::f32, memory::dims{1, OC, KW * IC * OC, IC * OC});
  } else {
    const int64_t M = OC / G;  // channel multiplier; IC == G
    ws = memory::desc({G, M, 1, KH, KW}, dt::f32, memory::dims{M, 1, 1, KW * IC * M, IC * M});
  }
  memory::dims wdims = ws.dims();
  // Winograd F(4×4, 3×3) for 3×3 stride-1 convs of ≥ 32 channels (forward and data gradient):
  // about 2× faster than direct on AVX-512 here, in oneDNN's blocked layout (reordered per call).
  // Below 32 channels the transforms cost more than they save. TSNAS_NATIVE_WINOGRAD=0: off.
  const bool wino = g_winograd && kind != 2 && G == 1 && KH == 3 && KW == 3 && SH == 1 && SW == 1 &&
                    DH == 1 && DW == 1 && IC >= 32 && OC >= 32 && IC % 16 == 0 && OC % 16 == 0;
  const bool any = g_layout_any || wino;
  memory::desc xa = any ? memory::desc({N, IC, IH, IW}, dt::f32, tag::any) : xs;
  memory::desc ya = any ? memory::desc({N, OC, OH, OW}, dt::f32, tag::any) : ys;
  memory::desc wa(wdims, dt::f32, tag::any);
  algorithm algo = wino ? algorithm::convolution_winograd
                        : g_conv_algo ? algorithm::convolution_auto : algorithm::convolution_direct;
  primitive_attr attr;
  attr.set_scratchpad_mode(scratchpad_mode::user);
  if (reluPost) {
    post_ops po;
    po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }

  auto pl_ = std::make_unique<Plan>();
  Plan &P = *pl_;
  memory::desc bs({OC}, dt::f32, tag::x);
  convolution_forward::desc fd = hasBias
      ? convolution_forward::desc(prop_kind::forward_inference, algo, xa, wa, bs, ya, strides, dil, pl, pr)
      : convolution_forward::desc(prop_kind::forward_training, algo, xa, wa, ya, strides, dil, pl, pr);
  if (hasBias) P.ubias = bs;
  convolution_forward::primitive_desc fpd(fd, attr, eng());
  if (kind == 0) {
    P.ua = xs;
    P.ub = ws;
    P.uo = ys;
    P.argA = DNNL_ARG_SRC;
    P.argB = DNNL_ARG_WEIGHTS;
    P.argO = DNNL_ARG_DST;
    P.prim = convolution_forward(fpd);
    finish_plan(P, fpd, fpd.src_desc(), fpd.weights_desc(), fpd.dst_desc());
  } else if (kind == 1) {
    convolution_backward_data::desc bd(algo, xa, wa, ya, strides, dil, pl, pr);
    convolution_backward_data::primitive_desc bpd(bd, attr, eng(), fpd);
    P.ua = ys;
    P.ub = ws;
    P.uo = xs;
    P.argA = DNNL_ARG_DIFF_DST;
    P.argB = DNNL_ARG_WEIGHTS;
    P.argO = DNNL_ARG_DIFF_SRC;
    P.prim = convolution_backward_data(bpd);
    finish_plan(P, bpd, bpd.diff_dst_desc(), bpd.weights_desc(), bpd.diff_src_desc());
  } else {
    convolution_backward_weights::desc bd(algo, xa, wa, ya, strides, dil, pl, pr);
    convolution_backward_weights::primitive_desc bpd(bd, attr, eng(), fpd);
    P.ua = xs;
    P.ub = ys;
    P.uo = ws;
    P.argA = DNNL_ARG_SRC;
    P.argB = DNNL_ARG_DIFF_DST;
    P.argO = DNNL_ARG_DIFF_WEIGHTS;
    P.prim = convolution_backward_weights(bpd);
    finish_plan(P, bpd, bpd.src_desc(), bpd.diff_dst_desc(), bpd.diff_weights_desc());
  }
  return pl_;
}

// The fused activation of a forward convolution by its TF.js name: 0 linear, 1 relu (oneDNN post-op).
int activation_of(const Napi::Value &v) {
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), "conv: the activation must be a name");
  const std::string name = v.As<Napi::String>().Utf8Value();
  if (name == "linear") return 0;
  if (name == "relu") return 1;
  throw Napi::Error::New(v.Env(), "conv: unknown activation '" + name + "'");
}

Napi::Value Conv(const Napi::CallbackInfo &info) {
  // conv.<kind>(a, b, o, p[, bias, activation]): bias and activation for forward only
  const int kind = op_of<int>(info);
  auto p = ints(info[3]);
  if (p.size() != 18) throw Napi::Error::New(info.Env(), "conv: bad parameter count");
  float *bias = nullptr;
  const int act = kind == 0 && info.Length() > 5 ? activation_of(info[5]) : 0;
  if (kind == 0 && info.Length() > 5 && info[4].IsTypedArray()) {
    bias = data_of<float>(info[4]);
    p.push_back(1);
    p.push_back(act);
  } else if (act != 0) {
    p.push_back(0);
    p.push_back(act);
  }
  if (dw_direct_applies(kind, p)) {
    dw_direct(kind, data_of<float>(info[0]), data_of<float>(info[1]), data_of<float>(info[2]), p);
    return Napi::Boolean::New(info.Env(), true);
  }
  // multiply-adds: N·OH·OW·OC·(IC/G)·KH·KW
  const double flops = 2.0 * p[0] * p[4] * p[5] * p[6] * (double)(p[3] / p[17]) * p[7] * p[8];
  Plan *pl = get_plan(key_of(kind + 1000 * g_threads, p), make_conv, kind, p, flops);
  if (!pl) return Napi::Boolean::New(info.Env(), false);
  run_plan(*pl, data_of<float>(info[0]), data_of<float>(info[1]), data_of<float>(info[2]), bias);
  return Napi::Boolean::New(info.Env(), true);
}

// The kernel kinds, by name (the TS side binds them by these names; see common.h).
const NamedOp<int> CONV_KINDS[] = {{"forward", 0}, {"backwardInput", 1}, {"backwardFilter", 2}};

}  // namespace

void init_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv", named_kernels(env, Conv, CONV_KINDS));
}

}  // namespace tsnas
