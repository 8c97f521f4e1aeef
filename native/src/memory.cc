// Giving a buffer's memory back to the OS while its ArrayBuffer lives on. A kernel output freed by
// TF.js stays resident until V8 collects its ArrayBuffer (seconds later, after many more
// allocations); the buffer pool (src/engine/native/backend.ts) calls discard on every buffer it
// lets go, so the memory leaves the process's RSS at once.
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

namespace tsnas {
namespace {

// discard(typedArray) -> bytes given back. madvise(MADV_DONTNEED) on the whole pages inside the
// array: the mapping stays valid (the pages read as zeros and are faulted in afresh if written),
// so the allocator that owns the memory, and V8's later free of it, are unaffected. Only for
// arrays no one reads again: their contents are lost.
Napi::Value Discard(const Napi::CallbackInfo &info) {
  auto ta = info[0].As<Napi::TypedArray>();
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t begin = (uintptr_t)static_cast<uint8_t *>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  const uintptr_t end = begin + ta.ByteLength();
  const uintptr_t a = (begin + page - 1) & ~(page - 1);
  const uintptr_t b = end & ~(page - 1);
  if (b <= a) return Napi::Number::New(info.Env(), 0);
  if (madvise(reinterpret_cast<void *>(a), b - a, MADV_DONTNEED) != 0) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), (double)(b - a));
}

}  // namespace

void init_memory(Napi::Env env, Napi::Object exports) { exports.Set("discard", Napi::Function::New(env, Discard)); }

}  // namespace tsnas
