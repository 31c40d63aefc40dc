#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/secret.hpp"
#include "oauth/http_types.hpp"
#include "oauth/scope_set.hpp"

namespace vegha::oauth {

using Clock = std::chrono::system_clock;

// What a successful token response grants (RFC 6749 §5.1).
struct Token {
    Secret access_token;
    std::string token_type;
    Secret refresh_token;
    Secret id_token;

    // When the access token stops working by this machine's clock, measured from the moment
    // the request was sent so the provider's processing time is on the safe side (a JWT's
    // own `exp` is never trusted against a possibly skewed clock).
    Clock::time_point expires_at;
    // The provider gave no expires_in and expires_at was derived from a configured default.
    bool lifetime_assumed = false;
    Clock::duration lifetime{};

    // The scopes granted: the provider's `scope` when it sent one, else those requested
    // (RFC 6749 §5.1 makes `scope` optional when it equals the request).
    ScopeSet scope;
};

struct TokenResponseContext {
    ScopeSet requested;
    Clock::time_point sent_at;
    std::chrono::seconds default_lifetime{300};
};

// Turns a provider's answer into a Token or a typed error: kIdpError with the provider's
// `error` and `error_description` when it refused (whatever the HTTP status), and
// kInvalidTokenResponse, naming the status, content type and a redacted prefix of the body,
// when the answer is not a token response at all.
Result<Token> parse_token_response(const HttpResponse& response,
                                   const TokenResponseContext& context);

// A short printable prefix of a body for error messages, with anything that looks like a
// token (a long run of base64url or hex characters) blanked out.
std::string redacted_prefix(std::string_view body, std::size_t max_chars = 80);

}  // namespace vegha::oauth
