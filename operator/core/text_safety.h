// Text that came from outside the operator (Prometheus error bodies, API error messages, names from a
// tenant's Canary) made safe to put in status, Events and logs: bounded in size, and with control bytes
// escaped so that one log record stays one line (CWE-117, log injection).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aviary {

// At most `maxBytes` bytes of `text`, cut on a UTF-8 character boundary, followed by "…" (3 bytes, not
// counted in maxBytes) when something was cut. Invalid UTF-8 is kept as it is.
std::string truncateText(std::string_view text, std::size_t maxBytes);

// `text` with ASCII control bytes (0x00–0x1F, 0x7F) written as \n, \r, \t or \xNN and '\' as "\\";
// every other byte, UTF-8 included, is kept. The result never contains a line break.
std::string escapeControl(std::string_view text);

// True when `text` has a byte that escapeControl would rewrite other than '\'.
bool hasControlBytes(std::string_view text);

// Outside text as messages quote it: at most `maxBytes` (truncateText), control bytes escaped, in double
// quotes. One spelling for every message that names a tenant's value.
std::string quoteForMessage(std::string_view text, std::size_t maxBytes = 80);

// "a, b, c" for messages, or "none" for an empty list.
std::string listForMessage(const std::vector<std::string>& items);

// The sizes used where outside text enters status, Events and logs (bytes).
inline constexpr std::size_t kMaxExternalMessageBytes = 512;

}  // namespace aviary
