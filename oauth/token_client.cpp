#include "oauth/token_client.hpp"

#include "oauth/form.hpp"

namespace vegha::oauth {
HttpRequest authenticated_post(const Profile& profile, FormBody& form,
                               const boost::urls::url& endpoint) {
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
    request.url = endpoint;
    request.content_type = "application/x-www-form-urlencoded";
    request.body = form.finish();
    request.timeout = profile.timeout;
    request.ca_file = profile.ca_file;
    return request;
}

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
            return make_error(Errc::kLoginRequired,
                              "an authorization_code profile gets its first token through a "
                              "login in the browser, not a token request");
    }
    if (!profile.scopes.empty()) {
        form.add("scope", profile.scopes.to_string());
    }
    if (!profile.audience.empty()) {
        form.add("audience", profile.audience);
    }
    return authenticated_post(profile, form, profile.token_url);
}

Result<HttpRequest> build_refresh_request(const Profile& profile, const Secret& refresh_token) {
    if (refresh_token.empty()) {
        return make_error(Errc::kInternal, "no refresh token to use");
    }
    // RFC 6749 §6: no scope parameter asks for the scope originally granted.
    FormBody form;
    form.add("grant_type", "refresh_token");
    form.add("refresh_token", refresh_token.reveal());
    return authenticated_post(profile, form, profile.token_url);
}

Token merge_refreshed(Token refreshed, const Token& previous) {
    // RFC 6749 §6: a provider may keep the refresh token (and need not repeat the id
    // token); what it does not send is still valid.
    if (refreshed.refresh_token.empty()) {
        refreshed.refresh_token = previous.refresh_token;
    }
    if (refreshed.id_token.empty()) {
        refreshed.id_token = previous.id_token;
    }
    return refreshed;
}

boost::asio::awaitable<Result<Token>> TokenClient::request_token(const Profile& profile) {
    auto request = build_token_request(profile);
    if (!request) {
        co_return request.error();
    }
    co_return co_await exchange(*request, profile.scopes, profile.default_lifetime);
}

boost::asio::awaitable<Result<Token>> TokenClient::refresh(const Profile& profile,
                                                           const Token& previous) {
    auto request = build_refresh_request(profile, previous.refresh_token);
    if (!request) {
        co_return request.error();
    }
    auto token = co_await exchange(*request, previous.scope, profile.default_lifetime);
    if (!token) {
        co_return token.error();
    }
    co_return merge_refreshed(std::move(*token), previous);
}

boost::asio::awaitable<Result<Token>> TokenClient::exchange(const HttpRequest& request,
                                                            const ScopeSet& requested,
                                                            std::chrono::seconds default_lifetime) {
    const TokenResponseContext context{requested, now_(), default_lifetime};
    auto response = co_await http_.send(request);
    if (!response) {
        co_return response.error();
    }
    co_return parse_token_response(*response, context);
}

}  // namespace vegha::oauth
