// The tests' private PKI (DESIGN.md §8): one CA and the standard identities
// per test binary, made by the same scripts/pki.sh as ./run, in a fresh
// directory under /tmp. Every service a test starts gets TlsFlags(); every
// client channel presents one identity's certificate (TestChannel), so that
// tests exercise the authorization table as real callers do: the order
// service for Tries, the coordinator for Confirm/Cancel, turnstilectl for
// operator calls, loadgen acting for buyers (ActAs in caller.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

namespace turnstile::testing {

// The directory (created on first use, removed at exit).
const std::string& TestPkiDir();

// Runs scripts/pki.sh on TestPkiDir() with `args` (e.g. {"mallory"},
// {"--expired", "old"}, {"--renew", "inventory"}); aborts on failure.
void TestPki(const std::vector<std::string>& args);

// Flags that make a service use the test PKI (and re-read it every second).
std::vector<std::string> TlsFlags();

// Credentials presenting `identity`'s certificate from TestPkiDir() (read
// now), or none if `identity` is empty (TLS without a client certificate).
std::shared_ptr<grpc::ChannelCredentials> TestCredentials(
    const std::string& identity);

// A channel to `address` presenting `identity`, requiring the server's
// certificate to name `peer`; quick reconnects. `max_receive_bytes` > 0
// raises the receive limit.
std::shared_ptr<grpc::Channel> TestChannel(const std::string& address,
                                           const std::string& peer,
                                           const std::string& identity,
                                           int max_receive_bytes = 0);

// Server credentials presenting `identity`'s certificate and requiring a
// client certificate of the test CA (for in-process fake services).
std::shared_ptr<grpc::ServerCredentials> TestServerCredentials(
    const std::string& identity);

// Reads a whole file.
std::string ReadFile(const std::string& path);

}  // namespace turnstile::testing
