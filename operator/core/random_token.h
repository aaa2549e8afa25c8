// Unguessable tokens (session-affinity cookie values): bytes from OpenSSL's CSPRNG (RAND_bytes), hex-encoded.
#pragma once

#include <cstddef>
#include <string>

namespace aviary {

// 2 * bytes lowercase hex characters. Aborts the process if the CSPRNG cannot be seeded (OpenSSL
// documents that only on a system without an entropy source), rather than hand out a guessable value.
std::string randomHex(std::size_t bytes);

}  // namespace aviary
