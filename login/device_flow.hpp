#pragma once

// The device authorization grant (RFC 8628), for hosts with no browser: the user reads a
// short code here and enters it on another device while the broker polls for the token.

#include <boost/asio/awaitable.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"
#include "oauth/token.hpp"
#include "oauth/token_client.hpp"

namespace vegha::login {

// What the user needs to finish the login elsewhere (RFC 8628 §3.2, §3.3).
struct DeviceCode {
    std::string verification_uri;
    std::string user_code;
    // The URI with the code already in it, for a QR code or a link (RFC 8628 §3.3.1).
    std::optional<std::string> verification_uri_complete;
    std::chrono::seconds expires_in{0};
    std::chrono::seconds interval{5};
};

// Waits without blocking the thread; injectable so tests need not wait out real intervals.
using Sleep = std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)>;
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

struct DeviceOptions {
    // The provider's device_authorization_endpoint (RFC 8628 §3.1, §4).
    boost::urls::url device_authorization_url;

    // Upper bound on the whole login; the provider's expires_in may end it sooner.
    std::chrono::seconds deadline{600};
    bool request_offline_access = false;

    // Told the code to show, once, as soon as the provider has issued it. Called on the
    // I/O thread; must not block.
    std::function<void(const DeviceCode&)> on_user_code = {};

    // Empty: a steady_timer on the current executor, and std::chrono::steady_clock.
    Sleep sleep = {};
    SteadyNow steady_now = {};
};

// Runs one device login: requests a device code, reports it through on_user_code, then
// polls the token endpoint at the provider's interval (RFC 8628 §3.4, §3.5): on
// authorization_pending it polls again, on slow_down it waits 5 s longer from then on,
// on a network failure or timeout it doubles the interval (at most 3 times in a row).
// Errors: kMissingField for a missing device_authorization_url or client_id; kIdpError
// with the provider's error for access_denied (the user declined), expired_token (the code
// ran out) and any other refusal; kTimeout when options.deadline or the code's expires_in
// passes first; kInvalidTokenResponse for an answer that is not a device authorization
// response; whatever HttpClient reports otherwise.
//
// Must be awaited on `http`'s executor; `profile`, `http` and `options` must outlive it.
// Cancelling the awaiting coroutine stops the polling with kTimeout.
boost::asio::awaitable<Result<oauth::Token>> run_device_login(const oauth::Profile& profile,
                                                              oauth::HttpClient& http,
                                                              const DeviceOptions& options,
                                                              oauth::Now now);

}  // namespace vegha::login
