#include "login/loopback_listener.hpp"

#ifndef _WIN32
#include <fcntl.h>
#endif

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <exception>
#include <map>

#include "core/log.hpp"
#include "oauth/pkce.hpp"

namespace vegha::login {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// A redirect is one short GET; anything larger is not the provider's answer.
constexpr std::size_t kMaxRequestBytes = 8 * 1024;

// A browser sends its request right after connecting, but it also opens speculative
// connections it may never use; those are dropped after this long.
constexpr std::chrono::seconds kConnectionTimeout{10};
constexpr std::chrono::seconds kWriteTimeout{5};

// For localhost the port chosen for 127.0.0.1 may be taken on ::1; another draw usually
// finds one free on both.
constexpr int kEphemeralAttempts = 8;

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = log::logger("login");
    return instance;
}

// ---------------------------------------------------------------------------------------
// Binding

struct BindPlan {
    std::vector<asio::ip::address> addresses;
    unsigned short port = 0;  // 0: ephemeral
    std::string path;
};

Error bad_redirect(std::string reason) {
    return make_error(Errc::kInvalidRequest, "the redirect URI " + std::move(reason));
}

Result<BindPlan> plan_for(boost::urls::url_view redirect) {
    if (redirect.scheme_id() != boost::urls::scheme::http) {
        return bad_redirect("must use http:// on a loopback address (RFC 8252 §7.3)");
    }
    if (redirect.has_userinfo() || redirect.has_fragment()) {
        return bad_redirect("must not carry user information or a fragment");
    }

    BindPlan plan;
    boost::system::error_code ec;
    switch (redirect.host_type()) {
        case boost::urls::host_type::ipv4:
        case boost::urls::host_type::ipv6:
            plan.addresses.push_back(asio::ip::make_address(redirect.host_address(), ec));
            break;
        case boost::urls::host_type::name:
            // RFC 8252 §8.3: a name may resolve to either family, so both are served.
            if (boost::urls::grammar::ci_is_equal(redirect.host_address(), "localhost")) {
                plan.addresses.push_back(asio::ip::address_v4::loopback());
                plan.addresses.push_back(asio::ip::address_v6::loopback());
                break;
            }
            [[fallthrough]];
        default:
            return bad_redirect("must name 127.0.0.1, [::1] or localhost");
    }
    for (const auto& address : plan.addresses) {
        if (ec || !address.is_loopback()) {
            return bad_redirect("names " + std::string(redirect.host()) +
                                ", which is not a loopback address; the login never listens "
                                "on any other");
        }
    }

    if (redirect.has_port() && !redirect.port().empty()) {
        if (redirect.port_number() == 0 && redirect.port() != "0") {
            return bad_redirect("has an invalid port");
        }
        plan.port = redirect.port_number();
    }
    plan.path = redirect.encoded_path().empty() ? "/" : std::string(redirect.encoded_path());
    return plan;
}

void close_on_exec(int fd) noexcept {
#ifndef _WIN32
    // Asio opens sockets without FD_CLOEXEC; a browser started later must not inherit the
    // listening socket, or the port would stay taken after the login ends.
    ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
#else
    (void)fd;
#endif
}

boost::system::error_code listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (ec) {
        return ec;
    }
    close_on_exec(acceptor.native_handle());
    if (endpoint.address().is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), ec);
    }
#ifndef _WIN32
    // Connections of an earlier login linger in TIME_WAIT on a fixed port; without this the
    // next login could not bind it for a minute. A port another program listens on still
    // fails to bind. (On Windows SO_REUSEADDR would let another program steal the port.)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
#endif
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
    }
    return ec;
}

std::string endpoint_text(const asio::ip::address& address, unsigned short port) {
    const std::string host =
        address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
    return host + ":" + std::to_string(port);
}

Error bind_error(const BindPlan& plan, const asio::ip::address& address, unsigned short port,
                 const boost::system::error_code& ec, boost::urls::url_view redirect) {
    if (ec == asio::error::address_in_use && plan.port != 0) {
        return make_error(Errc::kNetwork,
                          "port " + std::to_string(port) + " on " + address.to_string() +
                              " is already in use by another program, and the redirect URI " +
                              std::string(redirect.buffer()) +
                              " fixes that port; stop the other program, or register a "
                              "redirect URI without a port with the provider");
    }
    if (address.is_v6() && plan.addresses.size() == 2) {
        return make_error(Errc::kNetwork,
                          "the redirect URI uses localhost, which a browser may resolve to "
                          "127.0.0.1 or ::1, so the login must listen on both with one port, "
                          "but ::1 cannot be used here (" +
                              ec.message() +
                              "); register http://127.0.0.1/... with the provider instead");
    }
    return make_error(Errc::kNetwork,
                      "cannot listen on " + endpoint_text(address, port) + ": " + ec.message());
}

// ---------------------------------------------------------------------------------------
// Pages

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// `message` is already HTML; anything from the request in it must have been escaped.
std::string page(std::string_view title, std::string_view message) {
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\"><title>";
    html += title;
    html +=
        "</title><style>body{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;"
        "padding:0 1em;color:#222;line-height:1.5}h1{font-size:1.4em}</style></head><body><h1>";
    html += title;
    html += "</h1><p>";
    html += message;
    html += "</p></body></html>\n";
    return html;
}

struct Answer {
    http::status status = http::status::not_found;
    std::string html;
    // Set when this request ends the login, whichever way.
    std::optional<Result<CallbackResult>> outcome;
};

Answer not_found() {
    return {http::status::not_found, page("Not found", "There is nothing at this address."), {}};
}

Answer too_large() {
    return {http::status::request_header_fields_too_large,
            page("Request too large", "This address only takes a sign-in response."),
            {}};
}

Answer foreign_state() {
    return {http::status::bad_request,
            page("Not the sign-in in progress",
                 "This response does not belong to the sign-in that is waiting, perhaps because "
                 "it comes from an older tab. Finish the sign-in in its own tab; it is still "
                 "waiting."),
            {}};
}

Answer already_done() {
    return {http::status::bad_request,
            page("Sign-in already finished",
                 "This sign-in has already been answered. You can close this tab."),
            {}};
}

Answer signed_in(CallbackResult result) {
    return {http::status::ok,
            page("Signed in",
                 "You are signed in. You can close this tab and go back to your application."),
            Result<CallbackResult>(std::move(result))};
}

Answer provider_refused(std::string error, std::string description) {
    std::string message = "The provider answered <code>" + html_escape(error) + "</code>";
    if (!description.empty()) {
        message += ": " + html_escape(description);
    }
    message += ". Nothing was signed in. You can close this tab.";

    Error e = make_error(Errc::kIdpError, "the provider refused the login: " + error);
    if (!description.empty()) {
        e.message += " (" + description + ")";
    }
    e.idp_error = std::move(error);
    e.idp_error_description = std::move(description);
    return {http::status::ok, page("Sign-in not completed", message), Result<CallbackResult>(e)};
}

Answer rejected(std::string reason) {
    return {http::status::bad_request,
            page("Sign-in rejected",
                 html_escape(reason) + ". Nothing was signed in. You can close this tab."),
            Result<CallbackResult>(make_error(Errc::kInvalidRequest, std::move(reason)))};
}

// ---------------------------------------------------------------------------------------
// One wait

// Shared by the accept loops and every connection of one wait_for_callback(); connections
// may outlive the wait by a moment, so it is reference-counted.
struct Flow {
    Flow(asio::any_io_executor executor, Secret state, std::optional<std::string> issuer,
         std::string callback_path, Clock::time_point until)
        : expected_state(std::move(state)),
          expected_issuer(std::move(issuer)),
          path(std::move(callback_path)),
          deadline(until),
          wake(std::move(executor), until) {}

    Secret expected_state;
    std::optional<std::string> expected_issuer;
    std::string path;
    Clock::time_point deadline;

    // Expires at the deadline; a connection that ends the login cancels it early.
    asio::steady_timer wake;
    bool finished = false;
    std::optional<Result<CallbackResult>> outcome;
    std::vector<std::weak_ptr<beast::tcp_stream>> connections;

    void close_connections() noexcept {
        for (auto& weak : connections) {
            if (auto stream = weak.lock()) {
                boost::system::error_code ignored;
                stream->socket().close(ignored);
            }
        }
        connections.clear();
    }
};

// Decides what a complete request means for the login (RFC 6749 §4.1.2, §4.1.2.1).
Answer judge(const Flow& flow, const http::request<http::string_body>& request) {
    auto target = boost::urls::parse_origin_form(request.target());
    if (!target || target->encoded_path() != flow.path) {
        return not_found();
    }
    if (request.method() != http::verb::get) {
        return {http::status::method_not_allowed, page("Method not allowed", "Use GET."), {}};
    }

    // RFC 6749 §3.1: a parameter sent twice makes the response unusable; it is treated as
    // foreign rather than guessed at.
    std::map<std::string, std::string, std::less<>> params;
    for (const auto& param : target->params()) {
        if (!params.emplace(param.key, param.value).second) {
            return foreign_state();
        }
    }
    const auto state = params.find("state");
    if (state == params.end() ||
        !oauth::constant_time_equal(state->second, flow.expected_state.reveal())) {
        return foreign_state();
    }

    // RFC 9207 §2.4: an `iss` that is not the expected provider's means the response may
    // come from another provider the user also signs in to (a mix-up attack), error or not.
    std::optional<std::string> issuer;
    if (const auto iss = params.find("iss"); iss != params.end()) {
        issuer = iss->second;
        if (flow.expected_issuer && *issuer != *flow.expected_issuer) {
            return rejected("the answer names the issuer " + *issuer + " instead of " +
                            *flow.expected_issuer + " (RFC 9207)");
        }
    }

    if (const auto error = params.find("error"); error != params.end()) {
        const auto description = params.find("error_description");
        return provider_refused(error->second,
                                description == params.end() ? "" : description->second);
    }
    const auto code = params.find("code");
    if (code == params.end() || code->second.empty()) {
        return rejected("the provider's answer has neither a code nor an error");
    }
    return signed_in(CallbackResult{Secret(std::move(code->second)), std::move(issuer)});
}

http::response<http::string_body> render(Answer& answer) {
    http::response<http::string_body> response{answer.status, 11};
    response.set(http::field::content_type, "text/html; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    response.set(http::field::connection, "close");
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    response.body() = std::move(answer.html);
    response.prepare_payload();
    return response;
}

// Reads the rest of what the peer sends, briefly, so that closing the socket with unread
// data does not reset the connection before the answer is read.
asio::awaitable<void> drain(beast::tcp_stream& stream) {
    stream.expires_after(std::chrono::seconds(1));
    std::array<char, 4096> sink{};
    for (std::size_t total = 0; total < 64 * 1024;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
        if (ec) {
            co_return;
        }
        total += n;
    }
}

std::string printable_path(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    std::string out(path.substr(0, 80));
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c < 0x20 || c > 0x7e; }, '?');
    return out;
}

// One connection: read one request, answer it, close.
asio::awaitable<void> serve(std::shared_ptr<Flow> flow, tcp::socket socket) {
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    flow->connections.push_back(stream);
    stream->expires_at(std::min(flow->deadline, Clock::now() + kConnectionTimeout));

    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxRequestBytes);
    parser.body_limit(kMaxRequestBytes);
    auto [read_ec, read] = co_await http::async_read(*stream, buffer, parser, kNoThrow);

    Answer answer;
    if (read_ec == http::error::header_limit || read_ec == http::error::body_limit ||
        read_ec == http::error::buffer_overflow) {
        logger()->warn("callback listener: turned away a request over {} bytes", kMaxRequestBytes);
        answer = too_large();
    } else if (read_ec) {
        co_return;
    } else {
        answer = judge(*flow, parser.get());
        if (!answer.outcome) {
            logger()->debug("callback listener: answered {} to a request for {}",
                            static_cast<unsigned>(answer.status),
                            printable_path(parser.get().target()));
        }
    }
    if (answer.outcome) {
        if (flow->finished) {
            answer = already_done();
        } else {
            flow->finished = true;
        }
    }

    auto response = render(answer);
    stream->expires_after(kWriteTimeout);
    co_await http::async_write(*stream, response, kNoThrow);
    boost::system::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_send, ignored);

    if (answer.outcome) {
        flow->outcome = std::move(answer.outcome);
        flow->wake.cancel();
    }
    co_await drain(*stream);
}

void log_unexpected(std::exception_ptr error) {
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        logger()->error("callback listener: a connection failed unexpectedly: {}", e.what());
    } catch (...) {
        logger()->error("callback listener: a connection failed unexpectedly");
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::shared_ptr<Flow> flow) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors and the like: back off rather than spin.
            logger()->warn("callback listener: accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            auto [pause_ec] = co_await pause.async_wait(kNoThrow);
            if (pause_ec) {
                co_return;
            }
            continue;
        }
        close_on_exec(socket.native_handle());
        asio::co_spawn(acceptor.get_executor(), serve(flow, std::move(socket)), log_unexpected);
    }
}

asio::awaitable<void> accept_all(std::vector<tcp::acceptor>& acceptors,
                                 std::shared_ptr<Flow> flow) {
    if (acceptors.size() == 2) {
        co_await (accept_loop(acceptors[0], flow) && accept_loop(acceptors[1], flow));
    } else {
        co_await accept_loop(acceptors[0], flow);
    }
}

}  // namespace

struct LoopbackListener::Impl {
    asio::any_io_executor executor;
    std::vector<tcp::acceptor> acceptors;
    std::string redirect_uri;
    std::string path;
    unsigned short port = 0;
    bool used = false;
};

LoopbackListener::LoopbackListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LoopbackListener::LoopbackListener(LoopbackListener&&) noexcept = default;
LoopbackListener& LoopbackListener::operator=(LoopbackListener&&) noexcept = default;

LoopbackListener::~LoopbackListener() {
    close();
}

Result<LoopbackListener> LoopbackListener::bind(asio::any_io_executor executor,
                                                boost::urls::url_view registered_redirect) {
    auto plan = plan_for(registered_redirect);
    if (!plan) {
        return plan.error();
    }

    auto impl = std::make_unique<Impl>();
    impl->executor = executor;
    impl->path = plan->path;
    const int attempts = plan->port == 0 && plan->addresses.size() > 1 ? kEphemeralAttempts : 1;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        impl->acceptors.clear();
        unsigned short port = plan->port;
        boost::system::error_code ec;
        const asio::ip::address* failed = nullptr;
        for (const auto& address : plan->addresses) {
            auto& acceptor = impl->acceptors.emplace_back(executor);
            ec = listen_on(acceptor, tcp::endpoint(address, port));
            if (ec) {
                failed = &address;
                break;
            }
            // The first socket's port is the one every further address must share.
            port = acceptor.local_endpoint().port();
        }
        if (!failed) {
            impl->port = port;
            break;
        }
        const bool retry = ec == asio::error::address_in_use && attempt < attempts;
        if (!retry) {
            return bind_error(*plan, *failed, port, ec, registered_redirect);
        }
    }

    boost::urls::url actual(registered_redirect);
    actual.set_port_number(impl->port);
    impl->redirect_uri = std::string(actual.buffer());
    logger()->info("callback listener on port {} ({} address{})", impl->port,
                   impl->acceptors.size(), impl->acceptors.size() == 1 ? "" : "es");
    return LoopbackListener(std::move(impl));
}

const std::string& LoopbackListener::redirect_uri() const noexcept {
    return impl_->redirect_uri;
}

unsigned short LoopbackListener::port() const noexcept {
    return impl_->port;
}

std::vector<tcp::endpoint> LoopbackListener::local_endpoints() const {
    std::vector<tcp::endpoint> endpoints;
    if (!impl_) {
        return endpoints;
    }
    for (const auto& acceptor : impl_->acceptors) {
        boost::system::error_code ec;
        if (acceptor.is_open()) {
            endpoints.push_back(acceptor.local_endpoint(ec));
        }
    }
    return endpoints;
}

void LoopbackListener::close() noexcept {
    if (!impl_) {
        return;
    }
    for (auto& acceptor : impl_->acceptors) {
        boost::system::error_code ignored;
        acceptor.close(ignored);
    }
}

asio::awaitable<Result<CallbackResult>> LoopbackListener::wait_for_callback(
    Secret expected_state, std::optional<std::string> expected_issuer, Clock::time_point deadline) {
    if (!impl_ || impl_->used || impl_->acceptors.empty() || !impl_->acceptors[0].is_open()) {
        co_return make_error(Errc::kInternal, "a loopback listener serves one login only");
    }
    impl_->used = true;

    auto flow = std::make_shared<Flow>(impl_->executor, std::move(expected_state),
                                       std::move(expected_issuer), impl_->path, deadline);
    co_await (accept_all(impl_->acceptors, flow) || flow->wake.async_wait(kNoThrow));

    // Whatever ended the wait, the port is released now and late requests find nothing.
    flow->finished = true;
    close();
    flow->close_connections();

    if (flow->outcome) {
        co_return std::move(*flow->outcome);
    }
    const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
    if (cancelled != asio::cancellation_type::none) {
        co_return make_error(Errc::kTimeout,
                             "the login was cancelled before the provider "
                             "answered");
    }
    co_return make_error(Errc::kTimeout, "no answer from the provider reached " +
                                             impl_->redirect_uri + " before the deadline");
}

}  // namespace vegha::login
