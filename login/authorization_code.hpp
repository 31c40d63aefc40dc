#pragma once

// The interactive login of a native app (RFC 8252): the authorization code grant
// (RFC 6749 §4.1) with PKCE (RFC 7636), the system browser, and a loopback redirect.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"
#include "oauth/token.hpp"
#include "oauth/token_client.hpp"

namespace vegha::login {

struct LoginOptions {
    // The browser to start (argv; "%s" marks the URL, else it is appended). Empty: $BROWSER,
    // then the platform's opener (see browser.hpp).
    std::vector<std::string> browser_command = {};
    // False: start no browser; on_browser_url is the only way the URL reaches the user.
    bool open_browser = true;

    // How long the user has to finish signing in; the listener closes at this point.
    std::chrono::seconds deadline{300};

    // Told the authorization URL once the listener is bound, before the browser starts, so
    // whoever waits for the login can show it ("if no browser opened, visit ..."). The URL
    // carries the state and the PKCE challenge but no secret the user must not see. Called
    // on the I/O thread; must not block.
    std::function<void(std::string_view url)> on_browser_url = {};

    // Adds offline_access to the requested scopes, asking for a refresh token.
    bool request_offline_access = false;
    // The `prompt` parameter (OIDC Core §3.1.2.1). Unset: "consent" when offline_access is
    // requested, else none.
    std::optional<std::string> prompt = {};
    std::optional<std::string> login_hint = {};

    // The provider's issuer identifier. When set, an `iss` in the authorization response
    // must equal it exactly (RFC 9207 §2.4). When unset, an `iss` must at least share the
    // origin (scheme, host, port) of the authorization endpoint.
    std::optional<std::string> expected_issuer = {};
};

// What the login will send; public for tests and for the daemon's diagnostics.
struct AuthorizationRequest {
    std::string url;           // the full authorization URL to open
    std::string redirect_uri;  // byte for byte as sent, and as the token request repeats it
    oauth::ScopeSet scopes;    // as requested
};

// Builds the authorization URL (RFC 6749 §4.1.1, RFC 7636 §4.3) on top of the profile's
// authorization_url, keeping any query it already has. Fails with kMissingField when the
// profile has no authorization_url.
Result<AuthorizationRequest> build_authorization_request(const oauth::Profile& profile,
                                                         const LoginOptions& options,
                                                         std::string_view redirect_uri,
                                                         std::string_view state,
                                                         std::string_view code_challenge);

// The token request that redeems `code` (RFC 6749 §4.1.3, RFC 7636 §4.5), with the client
// authentication the profile names; public for tests.
Result<oauth::HttpRequest> build_code_exchange_request(const oauth::Profile& profile,
                                                       const Secret& code,
                                                       std::string_view redirect_uri,
                                                       const Secret& code_verifier);

// Runs one browser login and returns its token:
//  1. binds the loopback listener the profile's redirect_uri names (before anything else,
//     so the port is held for the whole login);
//  2. tells options.on_browser_url the authorization URL, and opens the browser;
//  3. waits for the redirect until options.deadline;
//  4. redeems the code at the token endpoint once, with the same redirect_uri and the PKCE
//     verifier.
// Errors: kMissingField/kInvalidRequest for an unusable profile; kNetwork for a port that
// cannot be bound; kInvalidRequest when no browser could be started and there is no
// on_browser_url to show the URL instead; kIdpError when the provider refused (idp_error
// "access_denied" when the user declined), at the authorization or the token endpoint;
// kTimeout at the deadline (the message asks the user to check the redirect URI registered
// with the provider); kInvalidRequest for an `iss` of the wrong provider; whatever
// HttpClient and parse_token_response report for the exchange.
//
// Must be awaited on `http`'s executor; `profile`, `http` and `options` must outlive it.
// Each call is a separate login: callers that want one login for many waiters share the
// awaited result (the daemon's single flight). Cancelling the awaiting coroutine closes
// the listener and fails with kTimeout.
boost::asio::awaitable<Result<oauth::Token>> run_authorization_code_login(
    const oauth::Profile& profile, oauth::HttpClient& http, const LoginOptions& options,
    oauth::Now now);

}  // namespace vegha::login
