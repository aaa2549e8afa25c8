// Session affinity's cookies (spec.analysis.sessionAffinity) in the forms every router writes: the
// Set-Cookie value a destination's responses carry and the Cookie-header pattern that routes requests
// back to it. A cookie is "name=value", as TrafficIntent carries it. Formats: RFC 6265 §4.1 (Set-Cookie,
// attributes Max-Age, Domain, Path, Secure, HttpOnly), RFC 6265bis (SameSite) and CHIPS (Partitioned);
// §4.2.1 for the Cookie header ("a=1; b=2").
#pragma once

#include <string>

#include "operator/api/canary.h"

namespace aviary::mesh {

// "name=value; Max-Age=<maxAgeSeconds>" and the spec's attributes. Max-Age ≤ 0 tells the client to
// drop the cookie.
std::string setCookieValue(const api::SessionAffinitySpec& spec, const std::string& cookie,
                           long long maxAgeSeconds);

// A regular expression (RE2, as Envoy and Gateway API implementations run it; also valid ECMAScript)
// whose full match is a Cookie header that carries `cookie`, alone or among others.
std::string cookieHeaderPattern(const std::string& cookie);

// The "name=value" a Set-Cookie value sets; empty when there is none.
std::string cookieSetBy(const std::string& setCookie);

// Whether a Set-Cookie value removes its cookie (Max-Age ≤ 0).
bool expiresCookie(const std::string& setCookie);

}  // namespace aviary::mesh
