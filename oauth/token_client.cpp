#include "oauth/token_client.hpp"

#include "oauth/form.hpp"

namespace vegha::oauth {

Result<HttpRequest> build_token_request(const Profile& profile) {
    FormBody form;
    switch (profile.grant) {
        case GrantType::kClientCredentials:
            form.add("grant_type", "client_credentials");
            break;
        case GrantType::kPassword:
            form.add("grant_type", "password");
            form.add("username", profile.username);
            form.add("password", profile.password.reveal());
            break;
        case GrantType::kAuthorizationCode:
            // TODO: the browser login (authorization code with PKCE through a loopback
            // redirect) is not built yet; until it is, such profiles cannot get a token.
            return make_error(Errc::kUnsupportedGrant,
                              "the authorization_code grant needs a browser login, which this "
                              "version of the broker cannot run yet");
    }
    if (!profile.scopes.empty()) {
        form.add("scope", profile.scopes.to_string());
    }
    if (!profile.audience.empty()) {
        form.add("audience", profile.audience);
    }

    HttpRequest request;
    switch (profile.client_auth) {
        case ClientAuth::kBasic:
            request.authorization =
                basic_authorization(profile.client_id.value, profile.client_secret);
            break;
        case ClientAuth::kPost:
            form.add("client_id", profile.client_id.value);
            form.add("client_secret", profile.client_secret.reveal());
            break;
        case ClientAuth::kNone:
            // A public client names itself (RFC 6749 §3.2.1).
            form.add("client_id", profile.client_id.value);
            break;
    }
    request.method = HttpRequest::Method::kPost;
    request.url = profile.token_url;
    request.content_type = "application/x-www-form-urlencoded";
    request.body = form.finish();
    request.timeout = profile.timeout;
    return request;
}

boost::asio::awaitable<Result<Token>> TokenClient::request_token(const Profile& profile) {
    auto request = build_token_request(profile);
    if (!request) {
        co_return request.error();
    }
    const TokenResponseContext context{profile.scopes, now_(), profile.default_lifetime};
    auto response = co_await http_.send(*request);
    if (!response) {
        co_return response.error();
    }
    co_return parse_token_response(*response, context);
}

}  // namespace vegha::oauth
