#include "operator/allocator.h"

#include <malloc.h>

#ifdef AVIARY_JEMALLOC
// Read by jemalloc when it initializes (jemalloc(3), "TUNING"). Measured at 1,000 Canaries with the
// scale harness (docs/performance.md):
// - narenas:2: the operator has two reconcile workers; an arena per core-times-four only spreads the
//   Canaries' copies over more half-empty pages;
// - background_thread, dirty_decay_ms:1000, muzzy_decay_ms:0: unused pages go back to the kernel a second
//   after they were freed (the default is 10 s, and a restart's lists free a lot at once: 96 MiB after a
//   restart with glibc, 71 with these, 101 with jemalloc's defaults).
extern "C" {
// NOLINTNEXTLINE: jemalloc's documented name
const char* malloc_conf = "narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

namespace aviary {

void configureAllocator() {
#ifndef AVIARY_JEMALLOC
  // glibc gives every thread that allocates an arena of its own, up to 8 per core: the worker, watch and
  // cpprestsdk threads each got one, and at 1,000 Canaries the peak RSS was 109 MiB instead of 87 (144
  // instead of 93 after a restart) for the same CPU.
  mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace aviary
