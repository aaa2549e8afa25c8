// Generates a throw-away CA-less self-signed certificate (PEM), for the sandbox's --tls mode and TLS tests.
#pragma once

#include <string>
#include <vector>

#include "operator/core/result.h"

namespace aviary {

struct PemKeyPair {
  std::string certificatePem;
  std::string privateKeyPem;
};

// subjectAltNames: DNS names and IP addresses (IPv4/IPv6 literals are written as IP SANs).
Result<PemKeyPair> generateSelfSignedCert(const std::string& commonName,
                                          const std::vector<std::string>& subjectAltNames, int validDays = 7);

}  // namespace aviary
