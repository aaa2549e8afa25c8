// cpprestsdk's pplx/threadpool.h names boost::asio::io_service, which the project's
// BOOST_ASIO_NO_DEPRECATED hides; only this file includes it, so only this file lifts the definition.
// Asio's headers thus read differently here than elsewhere (strictly, an ODR difference); harmless
// because this file only calls initialize_with_threads, exported by libcpprest, and passes no Asio
// object across.
#undef BOOST_ASIO_NO_DEPRECATED
#define _TURN_OFF_PLATFORM_STRING
#include "analysis/outbound/http_client_threads.h"

#include <pplx/threadpool.h>

#include <exception>
#include <string>

namespace aviary::analysis {

Status setHttpClientThreads(std::size_t threads) {
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception& e) {
    return Error{ErrorCode::Invalid, std::string("cpprestsdk's thread pool: ") + e.what()};
  }
  return {};
}

}  // namespace aviary::analysis
