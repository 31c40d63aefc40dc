#pragma once

// Builds token requests (RFC 6749 §4.3, §4.4) with the client authentication the profile
// names (§2.3.1), sends them through HttpClient and parses the answer.

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "core/error.hpp"
#include "oauth/form.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"
#include "oauth/token.hpp"

namespace vegha::oauth {

using Now = std::function<Clock::time_point()>;

class TokenClient {
public:
    TokenClient(HttpClient& http, Now now) : http_(http), now_(std::move(now)) {}

    // Obtains a new token for a client_credentials or password profile. An
    // authorization_code profile needs a login and fails with kLoginRequired.
    boost::asio::awaitable<Result<Token>> request_token(const Profile& profile);

    // Uses previous.refresh_token (RFC 6749 §6) and merges the answer into `previous`:
    // what the provider did not send again (the refresh token, the id token) is kept.
    boost::asio::awaitable<Result<Token>> refresh(const Profile& profile, const Token& previous);

private:
    boost::asio::awaitable<Result<Token>> exchange(const HttpRequest& request,
                                                   const ScopeSet& requested,
                                                   std::chrono::seconds default_lifetime);

    HttpClient& http_;
    Now now_;
};

// A form POST to one of the provider's endpoints (token, revocation, device
// authorization), with the client authentication the profile names (RFC 6749 §2.3.1;
// RFC 7009 §2.1 and RFC 8628 §3.1 ask for the same). Finishes `form` into the body.
HttpRequest authenticated_post(const Profile& profile, FormBody& form,
                               const boost::urls::url& endpoint);

// The token request for a profile, as it will be sent; public for tests.
Result<HttpRequest> build_token_request(const Profile& profile);

// The refresh request (RFC 6749 §6) with the profile's client authentication.
Result<HttpRequest> build_refresh_request(const Profile& profile, const Secret& refresh_token);

// A refresh answer completed from the token it replaces.
Token merge_refreshed(Token refreshed, const Token& previous);

}  // namespace vegha::oauth
