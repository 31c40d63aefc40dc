#pragma once

// The one way the broker talks to a provider: HTTPS with the system's trust store (or a
// configured CA bundle), hostname verification and SNI, a deadline over the whole
// exchange, and a cap on the answer's size. Plain http:// is used only for loopback hosts.
// This is the only translation unit that includes Beast.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/url/url.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "oauth/http_types.hpp"

namespace vegha::oauth {

// An HTTPS proxy, as curl and most tools read it from the environment: `https_proxy` (or
// HTTPS_PROXY) names it, `no_proxy` (or NO_PROXY) lists hosts to reach directly.
struct ProxySettings {
    std::string https_proxy;  // "http://proxy.example:3128"; empty: no proxy
    std::string no_proxy;     // "example.com,.internal,10.1.2.3", or "*" for none

    static ProxySettings from_environment();
};

// The proxy to tunnel through (RFC 9110 §9.3.6 CONNECT) to reach `host`, or nullopt to
// connect directly: no proxy configured, a loopback host (never proxied), or a host that
// no_proxy names (exactly, or as a domain suffix). Fails for a proxy URL that is not
// http://host:port.
Result<std::optional<boost::urls::url>> proxy_for(std::string_view host,
                                                  const ProxySettings& settings);

Result<boost::urls::url> parse_proxy_url(std::string_view text);

struct HttpClientOptions {
    // PEM bundle of trusted CAs; empty means the system's default trust store.
    std::string ca_file;
    std::size_t max_body_size = 1024 * 1024;
    std::string user_agent = "vegha-broker/0.1";
    // HTTPS requests to providers go through this proxy; plain http:// (loopback only)
    // never does.
    ProxySettings proxy;
};

class HttpClient {
public:
    // Throws std::runtime_error when the TLS context cannot be set up (an unreadable
    // ca_file): a configuration the daemon must not start with.
    HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends one request on a fresh connection and reads the whole answer. Fails with
    // kNetwork, kTls, kTimeout, kInsecureUrl, or kInvalidTokenResponse for an oversized or
    // unparsable answer; any HTTP status is a success here. Must be awaited on the
    // executor given at construction; several requests may be in flight at once.
    boost::asio::awaitable<Result<HttpResponse>> send(const HttpRequest& request);

    // Requests sent so far (for `status` and tests).
    std::uint64_t requests_sent() const noexcept { return requests_sent_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint64_t requests_sent_ = 0;
};

}  // namespace vegha::oauth
