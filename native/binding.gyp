{
  "targets": [
    {
      "target_name": "tsnas_native",
      "sources": [
        "src/addon.cc", "src/common.cc", "src/conv.cc", "src/depthwise.cc", "src/matmul.cc",
        "src/elementwise.cc", "src/reduce.cc", "src/batchnorm.cc", "src/pooling.cc",
        "src/weighted_sum.cc", "src/optim.cc", "src/copy.cc", "src/codes.cc", "src/memory.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fopenmp", "-fexceptions"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
