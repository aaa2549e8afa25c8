#pragma once

namespace aviary {

// Sets up the process's allocator; call first thing in main(), before any thread starts.
//
// Built with jemalloc (AVIARY_JEMALLOC, the default): its options come from `malloc_conf`
// (allocator.cpp: two arenas, dirty pages returned after 1 s by a background thread; MALLOC_CONF in the
// environment still overrides them, see jemalloc(3)), and this does nothing. With glibc's malloc (a
// sanitizer build): two arenas instead of 8 per core.
void configureAllocator();

}  // namespace aviary
