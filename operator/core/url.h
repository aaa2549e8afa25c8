// Percent-encoding for URL paths and query strings (RFC 3986), shared by the client and the servers.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace aviary {

// Encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percentEncode(std::string_view text);
// Decodes %XX; with plusIsSpace (query strings) '+' becomes ' '. Malformed escapes are kept as they are.
std::string percentDecode(std::string_view text, bool plusIsSpace);
// A host name as DNS compares it: lower case, without the trailing dot of a fully qualified name
// ("API.Example.com." → "api.example.com").
std::string normalizeHostName(std::string_view host);
// "a=1&b=x%20y" -> {a:1, b:"x y"}; a key without '=' maps to "".
std::multimap<std::string, std::string> parseQuery(std::string_view query);

}  // namespace aviary
