// The size of cpprestsdk's shared task pool, which runs every continuation of every outbound exchange
// (http_exchange.h: the Prometheus queries, webhooks and alerts) and so their `done` callbacks.
#pragma once

#include <cstddef>

#include "operator/core/result.h"

namespace aviary::analysis {

// Sizes the pool to `threads`. Its default is 40 threads: each answer woke one of them, and at 1,000
// Canaries those wake-ups were half of the operator's CPU (perf; docs/performance.md). A program calls
// this once, in main, before any exchange; nothing run on the pool may block waiting for another exchange
// (exchangeOnce belongs on threads of its own). Errors: Invalid when the pool already exists
// (cpprestsdk's rule: crossplat::threadpool::initialize_with_threads).
Status setHttpClientThreads(std::size_t threads);

}  // namespace aviary::analysis
