#include "oauth/http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <variant>

#include "oauth/profile.hpp"

namespace vegha::oauth {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Target {
    std::string host;  // as sent in SNI and verified against the certificate
    std::string port;
    std::string host_header;
    std::string path_and_query;
    bool tls = true;
    bool ip_literal = false;
};

Result<Target> target_of(const boost::urls::url& url) {
    Target t;
    const auto scheme = url.scheme_id();
    t.tls = scheme == boost::urls::scheme::https;
    if (!t.tls && !(scheme == boost::urls::scheme::http && is_loopback_host(url.host()))) {
        return make_error(Errc::kInsecureUrl, "refusing plain http:// to a non-loopback host");
    }
    t.host = url.host_address();
    t.ip_literal = url.host_type() == boost::urls::host_type::ipv4 ||
                   url.host_type() == boost::urls::host_type::ipv6;
    t.port = url.has_port() ? std::string(url.port()) : (t.tls ? "443" : "80");
    t.host_header = url.encoded_host_and_port();
    t.path_and_query = url.encoded_target().empty() ? "/" : std::string(url.encoded_target());
    return t;
}

http::request<http::string_body> build_request(const HttpRequest& request, const Target& target,
                                               const std::string& user_agent) {
    const bool post = request.method == HttpRequest::Method::kPost;
    http::request<http::string_body> req{post ? http::verb::post : http::verb::get,
                                         target.path_and_query, 11};
    req.set(http::field::host, target.host_header);
    req.set(http::field::user_agent, user_agent);
    req.set(http::field::accept, "application/json");
    if (!request.authorization.empty()) {
        req.set(http::field::authorization, request.authorization.reveal());
    }
    if (post) {
        req.set(http::field::content_type, request.content_type);
        req.body() = std::string(request.body.reveal());
        req.prepare_payload();
    }
    return req;
}

Error network_error(std::string_view step, const Target& target, const beast::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
        return make_error(Errc::kTimeout, "timed out during " + std::string(step) + " with " +
                                              target.host + ":" + target.port);
    }
    return make_error(Errc::kNetwork, std::string(step) + " with " + target.host + ":" +
                                          target.port + " failed: " + ec.message());
}

// Writes the request and reads the answer on a connected stream (plain or TLS).
template <class Stream>
asio::awaitable<Result<HttpResponse>> exchange(Stream& stream,
                                               http::request<http::string_body>& req,
                                               const Target& target, std::size_t body_limit) {
    auto [write_ec, written] = co_await http::async_write(stream, req, kNoThrow);
    std::fill(req.body().begin(), req.body().end(), '\0');
    if (write_ec) {
        co_return network_error("sending the request", target, write_ec);
    }

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (read_ec == http::error::body_limit) {
        co_return make_error(Errc::kInvalidTokenResponse,
                             "the answer from " + target.host + " is larger than " +
                                 std::to_string(body_limit) + " bytes");
    }
    if (read_ec &&
        read_ec.category() == http::make_error_code(http::error::bad_version).category() &&
        read_ec != http::error::end_of_stream && read_ec != http::error::partial_message) {
        // The provider was reached but did not speak HTTP: its answer is at fault.
        co_return make_error(
            Errc::kInvalidTokenResponse,
            "the answer from " + target.host + " is not valid HTTP: " + read_ec.message());
    }
    if (read_ec) {
        co_return network_error("reading the answer", target, read_ec);
    }
    auto response = parser.release();
    HttpResponse out;
    out.status = response.result_int();
    out.content_type = std::string(response[http::field::content_type]);
    out.body = std::move(response.body());
    co_return out;
}

// Asks the proxy for a tunnel to the target (RFC 9110 §9.3.6); TLS then runs through it
// end to end, so the proxy sees neither the request nor the certificate check's outcome.
asio::awaitable<Result<void>> open_tunnel(beast::tcp_stream& stream, const Target& target) {
    const std::string authority = target.host_header.find(':') == std::string::npos
                                      ? target.host_header + ":" + target.port
                                      : target.host_header;
    http::request<http::empty_body> connect{http::verb::connect, authority, 11};
    connect.set(http::field::host, authority);
    auto [write_ec, written] = co_await http::async_write(stream, connect, kNoThrow);
    if (write_ec) {
        co_return network_error("asking the proxy for a tunnel", target, write_ec);
    }
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a CONNECT answer has no body (RFC 9110 §9.3.6)
    auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (read_ec) {
        co_return network_error("reading the proxy's answer", target, read_ec);
    }
    if (parser.get().result_int() != 200) {
        co_return make_error(Errc::kNetwork, "the proxy refused a tunnel to " + authority +
                                                 ": HTTP " +
                                                 std::to_string(parser.get().result_int()));
    }
    co_return Result<void>();
}

}  // namespace

ProxySettings ProxySettings::from_environment() {
    const auto read = [](const char* lower, const char* upper) {
        const char* value = std::getenv(lower);
        if (!value || !*value) {
            value = std::getenv(upper);
        }
        return std::string(value ? value : "");
    };
    return ProxySettings{read("https_proxy", "HTTPS_PROXY"), read("no_proxy", "NO_PROXY")};
}

namespace {

bool listed_in_no_proxy(std::string_view host, std::string_view no_proxy) {
    while (!no_proxy.empty()) {
        const auto comma = no_proxy.find(',');
        std::string_view entry = no_proxy.substr(0, comma);
        no_proxy =
            comma == std::string_view::npos ? std::string_view() : no_proxy.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ') {
            entry.remove_prefix(1);
        }
        while (!entry.empty() && entry.back() == ' ') {
            entry.remove_suffix(1);
        }
        if (const auto colon = entry.rfind(':');
            colon != std::string_view::npos && entry.find(':') == colon) {
            entry = entry.substr(0, colon);  // "host:port": the port does not matter here
        }
        if (entry.starts_with('.')) {
            entry.remove_prefix(1);
        }
        if (entry.empty()) {
            continue;
        }
        if (entry == "*" || host == entry ||
            (host.size() > entry.size() && host.ends_with(entry) &&
             host[host.size() - entry.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

}  // namespace

Result<std::optional<boost::urls::url>> proxy_for(std::string_view host,
                                                  const ProxySettings& settings) {
    if (settings.https_proxy.empty() || is_loopback_host(host) ||
        listed_in_no_proxy(host, settings.no_proxy)) {
        return std::optional<boost::urls::url>();
    }
    auto proxy = parse_proxy_url(settings.https_proxy);
    if (!proxy) {
        return proxy.error();
    }
    return std::optional<boost::urls::url>(std::move(*proxy));
}

Result<boost::urls::url> parse_proxy_url(std::string_view text) {
    auto proxy = boost::urls::parse_absolute_uri(text);
    if (!proxy || proxy->scheme_id() != boost::urls::scheme::http || proxy->host().empty()) {
        return make_error(Errc::kInvalidRequest, "https_proxy must be an http://host:port URL");
    }
    return boost::urls::url(*proxy);
}

namespace {

// A TLS client context trusting `ca_file`, or the system's store when it is empty.
std::unique_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file,
                                                     boost::system::error_code& ec) {
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    tls->set_verify_mode(asio::ssl::verify_peer);
    if (ca_file.empty()) {
        tls->set_default_verify_paths(ec);
    } else {
        tls->load_verify_file(ca_file, ec);
    }
    return tls;
}

}  // namespace

struct HttpClient::Impl {
    asio::any_io_executor executor;
    HttpClientOptions options;
    std::unique_ptr<asio::ssl::context> tls;
    // Contexts for profiles that trust their own CA bundle, made on first use.
    std::map<std::string, std::unique_ptr<asio::ssl::context>, std::less<>> tls_by_ca_file;

    Result<asio::ssl::context*> context_for(const std::string& ca_file) {
        if (ca_file.empty()) {
            return tls.get();
        }
        if (const auto it = tls_by_ca_file.find(ca_file); it != tls_by_ca_file.end()) {
            return it->second.get();
        }
        boost::system::error_code ec;
        auto context = make_tls_context(ca_file, ec);
        if (ec) {
            return make_error(Errc::kTls,
                              "cannot load the CA bundle " + ca_file + ": " + ec.message());
        }
        return tls_by_ca_file.emplace(ca_file, std::move(context)).first->second.get();
    }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(Impl{std::move(executor), std::move(options), {}, {}})) {
    boost::system::error_code ec;
    impl_->tls = make_tls_context(impl_->options.ca_file, ec);
    if (ec) {
        throw std::runtime_error("cannot load trusted CA certificates: " + ec.message());
    }
}

HttpClient::~HttpClient() = default;

asio::awaitable<Result<HttpResponse>> HttpClient::send(const HttpRequest& request) {
    auto target = target_of(request.url);
    if (!target) {
        co_return target.error();
    }
    ++requests_sent_;
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;

    // Plain http:// is loopback only, and loopback is never proxied.
    Result<std::optional<boost::urls::url>> proxy = std::optional<boost::urls::url>();
    if (target->tls) {
        proxy = proxy_for(target->host, impl_->options.proxy);
    }
    if (!proxy) {
        co_return proxy.error();
    }
    // Through a proxy, the TCP connection goes to the proxy, which resolves the host.
    Target hop = *target;
    if (*proxy) {
        hop.host = (*proxy)->host_address();
        hop.port = (*proxy)->has_port() ? std::string((*proxy)->port()) : "80";
    }

    // Name resolution has no deadline of its own; it races a timer.
    tcp::resolver resolver(impl_->executor);
    asio::steady_timer timer(impl_->executor, deadline);
    auto raced = co_await (resolver.async_resolve(hop.host, hop.port, kNoThrow) ||
                           timer.async_wait(kNoThrow));
    if (raced.index() == 1) {
        co_return make_error(Errc::kTimeout, "timed out resolving " + hop.host);
    }
    auto [resolve_ec, endpoints] = std::get<0>(raced);
    if (resolve_ec) {
        co_return network_error("resolving the host", hop, resolve_ec);
    }

    beast::tcp_stream tcp_stream(impl_->executor);
    tcp_stream.expires_at(deadline);
    auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kNoThrow);
    if (connect_ec) {
        co_return network_error("connecting", hop, connect_ec);
    }
    if (*proxy) {
        auto tunnel = co_await open_tunnel(tcp_stream, *target);
        if (!tunnel) {
            co_return tunnel.error();
        }
    }

    auto req = build_request(request, *target, impl_->options.user_agent);
    if (!target->tls) {
        co_return co_await exchange(tcp_stream, req, *target, impl_->options.max_body_size);
    }

    auto tls = impl_->context_for(request.ca_file);
    if (!tls) {
        co_return tls.error();
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), **tls);
    // SNI is for names only (RFC 6066 §3); the certificate is checked against the host
    // either way.
    if (!target->ip_literal &&
        !SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str())) {
        co_return make_error(Errc::kTls, "cannot set the TLS server name for " + target->host);
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (handshake_ec) {
        if (handshake_ec == beast::error::timeout) {
            co_return network_error("the TLS handshake", *target, handshake_ec);
        }
        co_return make_error(Errc::kTls, "TLS handshake with " + target->host +
                                             " failed: " + handshake_ec.message());
    }
    co_return co_await exchange(stream, req, *target, impl_->options.max_body_size);
}

}  // namespace vegha::oauth
