#include "daemon/revocation.hpp"

#include "oauth/form.hpp"
#include "oauth/token.hpp"

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

    oauth::HttpRequest request;
    // RFC 7009 §2.1: the client authenticates as it does at the token endpoint.
    switch (profile.client_auth) {
        case oauth::ClientAuth::kBasic:
            request.authorization =
                oauth::basic_authorization(profile.client_id.value, profile.client_secret);
            break;
        case oauth::ClientAuth::kPost:
            form.add("client_id", profile.client_id.value);
            form.add("client_secret", profile.client_secret.reveal());
            break;
        case oauth::ClientAuth::kNone:
            form.add("client_id", profile.client_id.value);
            break;
    }
    request.method = oauth::HttpRequest::Method::kPost;
    request.url = *profile.revocation_url;
    request.content_type = "application/x-www-form-urlencoded";
    request.body = form.finish();
    request.timeout = profile.timeout;
    return request;
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
