#include "login/device_flow.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/log.hpp"
#include "oauth/form.hpp"
#include "oauth/pkce.hpp"

namespace vegha::login {
namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr std::string_view kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
constexpr seconds kDefaultInterval{5};  // RFC 8628 §3.2
constexpr seconds kSlowDownStep{5};     // RFC 8628 §3.5
constexpr int kMaxNetworkFailures = 3;

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = log::logger("login");
    return instance;
}

Error not_a_device_response(const oauth::HttpResponse& response, std::string_view why) {
    return make_error(Errc::kInvalidTokenResponse,
                      "the device authorization endpoint answered HTTP " +
                          std::to_string(response.status) + " with " + std::string(why) + ": " +
                          oauth::redacted_prefix(response.body));
}

const json::string* string_field(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    return value && value->is_string() ? &value->get_string() : nullptr;
}

std::optional<seconds> seconds_field(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    if (value && value->is_int64() && value->get_int64() >= 0) {
        return seconds(value->get_int64());
    }
    if (value && value->is_uint64()) {
        return seconds(
            static_cast<seconds::rep>(std::min<std::uint64_t>(value->get_uint64(), 1u << 30)));
    }
    return std::nullopt;
}

// RFC 8628 §3.2; Google's older endpoint says verification_url, accepted as the same.
Result<DeviceCode> parse_device_response(const oauth::HttpResponse& response, Secret& device_code) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(response.body, ec);
    if (ec || !parsed.is_object()) {
        return not_a_device_response(response, "no JSON object");
    }
    const auto& object = parsed.get_object();
    if (const auto* error = string_field(object, "error")) {
        Error e = make_error(Errc::kIdpError,
                             "the provider refused the device authorization "
                             "request: " +
                                 std::string(*error));
        e.idp_error = std::string(*error);
        if (const auto* description = string_field(object, "error_description")) {
            e.idp_error_description = std::string(*description);
            e.message += " (" + e.idp_error_description + ")";
        }
        e.http_status = response.status;
        return e;
    }

    const auto* code = string_field(object, "device_code");
    const auto* user_code = string_field(object, "user_code");
    const auto* uri = string_field(object, "verification_uri");
    if (!uri) {
        uri = string_field(object, "verification_url");
    }
    const auto expires_in = seconds_field(object, "expires_in");
    if (response.status != 200 || !code || code->empty() || !user_code || !uri || !expires_in) {
        return not_a_device_response(response,
                                     "no device_code, user_code, verification_uri "
                                     "and expires_in");
    }

    DeviceCode out;
    out.verification_uri = std::string(*uri);
    out.user_code = std::string(*user_code);
    if (const auto* complete = string_field(object, "verification_uri_complete")) {
        out.verification_uri_complete = std::string(*complete);
    }
    out.expires_in = *expires_in;
    // A zero interval would make the broker hammer the provider; one second is the floor.
    out.interval =
        std::max(seconds_field(object, "interval").value_or(kDefaultInterval), seconds(1));
    device_code = Secret(std::string_view(*code));
    return out;
}

asio::awaitable<void> timer_sleep(std::chrono::milliseconds duration) {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

oauth::ScopeSet requested_scopes(const oauth::Profile& profile, const DeviceOptions& options) {
    const auto& items = profile.scopes.items();
    if (!options.request_offline_access ||
        std::find(items.begin(), items.end(), "offline_access") != items.end()) {
        return profile.scopes;
    }
    auto more = items;
    more.emplace_back("offline_access");
    return oauth::ScopeSet(std::move(more));
}

// One device login's state between the device authorization request and the token.
struct Poller {
    const oauth::Profile& profile;
    oauth::HttpClient& http;
    oauth::Now now;
    Sleep sleep;
    SteadyNow steady_now;
    std::string flow;  // for log lines
    oauth::ScopeSet scopes;
    Secret device_code;
    DeviceCode shown;

    // RFC 8628 §3.1, §3.2.
    asio::awaitable<Result<void>> request_code(const boost::urls::url& endpoint) {
        oauth::FormBody ask;
        if (!scopes.empty()) {
            ask.add("scope", scopes.to_string());
        }
        const auto request = oauth::authenticated_post(profile, ask, endpoint);
        auto asked = co_await http.send(request);
        if (!asked) {
            co_return asked.error();
        }
        auto code = parse_device_response(*asked, device_code);
        if (!code) {
            co_return code.error();
        }
        shown = std::move(*code);
        co_return Result<void>();
    }

    // One poll (RFC 8628 §3.4): the token, or the provider's or the network's error.
    asio::awaitable<Result<oauth::Token>> poll_once() {
        oauth::FormBody poll;
        poll.add("grant_type", kDeviceCodeGrant);
        poll.add("device_code", device_code.reveal());
        const oauth::TokenResponseContext context{scopes, now(), profile.default_lifetime};
        const auto request = oauth::authenticated_post(profile, poll, profile.token_url);
        auto response = co_await http.send(request);
        if (!response) {
            co_return response.error();
        }
        co_return oauth::parse_token_response(*response, context);
    }

    // RFC 8628 §3.5: polls until the user has decided or the deadline comes.
    asio::awaitable<Result<oauth::Token>> poll_until(
        std::chrono::steady_clock::time_point deadline) {
        seconds interval = shown.interval;
        int network_failures = 0;
        for (;;) {
            if (steady_now() + interval > deadline) {
                co_return make_error(Errc::kTimeout, "nobody entered the code " + shown.user_code +
                                                         " at " + shown.verification_uri +
                                                         " in time; start the login again");
            }
            co_await sleep(interval);
            const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
            if (cancelled != asio::cancellation_type::none) {
                co_return make_error(Errc::kTimeout, "the device login was cancelled");
            }

            auto token = co_await poll_once();
            if (token) {
                co_return token;
            }
            const Error& e = token.error();
            if (e.code == Errc::kNetwork || e.code == Errc::kTimeout) {
                if (++network_failures > kMaxNetworkFailures) {
                    co_return e;
                }
                interval *= 2;  // back off while the provider is unreachable
                logger()->warn("device login {}: polling failed ({}); next try in {} s", flow,
                               e.message, interval.count());
                continue;
            }
            network_failures = 0;
            if (e.code == Errc::kIdpError && e.idp_error == "authorization_pending") {
                continue;
            }
            if (e.code == Errc::kIdpError && e.idp_error == "slow_down") {
                interval += kSlowDownStep;
                logger()->debug("device login {}: asked to slow down, now every {} s", flow,
                                interval.count());
                continue;
            }
            co_return explained(e);
        }
    }

    Error explained(Error e) const {
        if (e.code == Errc::kIdpError && e.idp_error == "access_denied") {
            e.message = "the sign-in on the other device was declined (access_denied)";
        } else if (e.code == Errc::kIdpError && e.idp_error == "expired_token") {
            e.message = "the code " + shown.user_code +
                        " expired before the sign-in was finished (expired_token); start the "
                        "login again";
        }
        return e;
    }
};

}  // namespace

asio::awaitable<Result<oauth::Token>> run_device_login(const oauth::Profile& profile,
                                                       oauth::HttpClient& http,
                                                       const DeviceOptions& options,
                                                       oauth::Now now) {
    if (options.device_authorization_url.empty() || profile.client_id.value.empty()) {
        co_return make_error(Errc::kMissingField,
                             "a device login needs the device_authorization_url and a client_id");
    }
    Poller poller{
        profile,
        http,
        std::move(now),
        options.sleep ? options.sleep : Sleep(timer_sleep),
        options.steady_now ? options.steady_now : SteadyNow(std::chrono::steady_clock::now),
        oauth::random_state().substr(0, 8),
        requested_scopes(profile, options),
        {},
        {}};

    auto asked = co_await poller.request_code(options.device_authorization_url);
    if (!asked) {
        logger()->error("device login {}: {}", poller.flow, asked.error().message);
        co_return asked.error();
    }
    const DeviceCode& code = poller.shown;
    logger()->info("device login {}: profile '{}', code valid {} s, polling every {} s",
                   poller.flow, profile.name, code.expires_in.count(), code.interval.count());
    if (options.on_user_code) {
        options.on_user_code(code);
    }

    const auto deadline = poller.steady_now() + std::min(options.deadline, code.expires_in);
    auto token = co_await poller.poll_until(deadline);
    if (!token) {
        logger()->error("device login {}: {}", poller.flow, token.error().message);
        co_return token.error();
    }
    logger()->info("device login {}: signed in; access token {}", poller.flow,
                   token->access_token.fingerprint());
    co_return token;
}

}  // namespace vegha::login
