#pragma once

// Builds token requests (RFC 6749 §4.3, §4.4) with the client authentication the profile
// names (§2.3.1), sends them through HttpClient and parses the answer.

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "core/error.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"
#include "oauth/token.hpp"

namespace vegha::oauth {

using Now = std::function<Clock::time_point()>;

class TokenClient {
public:
    TokenClient(HttpClient& http, Now now) : http_(http), now_(std::move(now)) {}

    // Obtains a new token for a client_credentials or password profile. An
    // authorization_code profile needs a browser login and fails with kUnsupportedGrant.
    boost::asio::awaitable<Result<Token>> request_token(const Profile& profile);

private:
    HttpClient& http_;
    Now now_;
};

// The token request for a profile, as it will be sent; public for tests.
Result<HttpRequest> build_token_request(const Profile& profile);

}  // namespace vegha::oauth
