#pragma once

// The real pieces an integration test runs against: the demo identity provider
// (oidc-provider, idp/demo-idp.mjs) on an ephemeral loopback port, and vegha-brokerd on a
// private socket. Both are stopped when their objects go away.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace vegha::test {

// Paths of the built programs and of the source tree, set by CMake.
std::filesystem::path source_dir();
std::filesystem::path brokerd_path();
std::filesystem::path token_cli_path();

struct IdpCounters {
    int token_requests = 0;
    int client_credentials = 0;
    int password = 0;
    int refresh_token = 0;
    int revocation_requests = 0;
};

class DemoIdp {
public:
    struct Options {
        int access_token_ttl = 3600;
        int refresh_token_ttl = 86400;
    };

    // Starts the provider and waits (up to 20 s) for its ready line; throws if it fails.
    explicit DemoIdp(Options options);
    DemoIdp() : DemoIdp(Options{}) {}

    const std::string& issuer() const { return issuer_; }
    std::string token_url() const { return issuer_ + "/token"; }
    int port() const { return port_; }

    IdpCounters counters() const;
    std::string log() const { return read_file(dir_.path() / "idp.log"); }

private:
    TempDir dir_;
    std::unique_ptr<Process> process_;
    std::string issuer_;
    int port_ = 0;
};

struct DaemonOptions {
    // Added to the test's own environment: point HOME and XDG_STATE_HOME at a folder the
    // test keeps to start a later daemon on the same sealed grants file.
    std::map<std::string, std::string> env = {};
    std::string log_level = "debug";
    // --token-store: "memory" keeps tests that do not care about persistence away from the
    // user's own keyring and state folder; nullopt passes no flag (config.json or auto).
    std::optional<std::string> token_store = "memory";
    std::vector<std::string> extra_args = {};  // after the ones Daemon passes itself
};

class Daemon {
public:
    // Writes `config_json` as the daemon's config file, starts vegha-brokerd with a socket
    // in a private folder, and waits (up to 20 s) until the socket accepts connections.
    Daemon(const std::string& config_json, DaemonOptions options);
    explicit Daemon(const std::string& config_json, std::map<std::string, std::string> env = {},
                    const std::string& log_level = "debug")
        : Daemon(config_json, DaemonOptions{std::move(env), log_level}) {}

    const std::filesystem::path& socket_path() const { return socket_; }
    const std::filesystem::path& folder() const { return dir_.path(); }
    std::string log() const { return read_file(dir_.path() / "daemon.log"); }
    Process& process() { return *process_; }

private:
    TempDir dir_;
    std::filesystem::path socket_;
    std::unique_ptr<Process> process_;
};

// True when something accepts connections on the Unix socket at `path`.
bool socket_accepts(const std::filesystem::path& path);

// A plain HTTP/1.0 request to 127.0.0.1:port with extra header lines (such as
// "Authorization: Bearer ..."); returns the body, or throws after 10 s.
std::string http_request(int port, const std::string& method, const std::string& path,
                         const std::vector<std::string>& headers = {});

}  // namespace vegha::test
