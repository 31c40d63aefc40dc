#pragma once

// Token revocation (RFC 7009), for logout: tells the provider that a grant the broker held
// is no longer wanted, so a copy of it elsewhere stops working too.

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "core/error.hpp"
#include "core/secret.hpp"
#include "oauth/http_client.hpp"
#include "oauth/profile.hpp"

namespace vegha::daemon {

enum class TokenKind { kRefreshToken, kAccessToken };

// The revocation request (RFC 7009 §2.1): token and token_type_hint in a form body, with
// the client authentication the profile names. Fails with kMissingField when the profile
// has no revocation_url. Public for tests.
Result<oauth::HttpRequest> build_revocation_request(const oauth::Profile& profile,
                                                    const Secret& token, TokenKind kind);

// Sends it. RFC 7009 §2.2: a 200 means the token is no longer valid (also when it was not
// valid before). Other answers fail as kIdpError with the provider's error (§2.2.1), or as
// kInvalidTokenResponse; transport failures as HttpClient reports them. Must be awaited on
// `http`'s executor.
boost::asio::awaitable<Result<void>> revoke_token(oauth::HttpClient& http,
                                                  const oauth::Profile& profile,
                                                  const Secret& token, TokenKind kind);

}  // namespace vegha::daemon
