#include "daemon/revocation.hpp"

#include "oauth/form.hpp"
#include "oauth/token.hpp"
#include "oauth/token_client.hpp"

namespace vegha::daemon {

Result<oauth::HttpRequest> build_revocation_request(const oauth::Profile& profile,
                                                    const Secret& token, TokenKind kind) {
    if (!profile.revocation_url) {
        return make_error(Errc::kMissingField, "the profile has no revocation_url");
    }
    oauth::FormBody form;
    form.add("token", token.reveal());
    form.add("token_type_hint",
             kind == TokenKind::kRefreshToken ? "refresh_token" : "access_token");

    // RFC 7009 §2.1: the client authenticates as it does at the token endpoint.
    return oauth::authenticated_post(profile, form, *profile.revocation_url);
}

boost::asio::awaitable<Result<void>> revoke_token(oauth::HttpClient& http,
                                                  const oauth::Profile& profile,
                                                  const Secret& token, TokenKind kind) {
    auto request = build_revocation_request(profile, token, kind);
    if (!request) {
        co_return request.error();
    }
    auto response = co_await http.send(*request);
    if (!response) {
        co_return response.error();
    }
    if (response->status == 200) {
        co_return Result<void>();
    }
    // An error answer has the token endpoint's shape (RFC 7009 §2.2.1 refers to RFC 6749
    // §5.2), so the token response parser reads the provider's words out of it.
    auto parsed = oauth::parse_token_response(*response, {});
    if (parsed) {
        co_return make_error(Errc::kInvalidTokenResponse, "the revocation endpoint answered HTTP " +
                                                              std::to_string(response->status));
    }
    co_return parsed.error();
}

}  // namespace vegha::daemon
