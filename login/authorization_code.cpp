#include "login/authorization_code.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/log.hpp"
#include "login/browser.hpp"
#include "login/loopback_listener.hpp"
#include "oauth/form.hpp"
#include "oauth/pkce.hpp"

namespace vegha::login {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kOfflineAccess = "offline_access";

std::shared_ptr<spdlog::logger> logger() {
    static const auto instance = log::logger("login");
    return instance;
}

// Percent-encodes a query component; spaces become %20, which every provider decodes,
// where a "+" is sometimes taken literally.
std::string query_encode(std::string_view value) {
    const std::string form = oauth::form_encode(value);
    std::string out;
    out.reserve(form.size());
    for (const char c : form) {
        if (c == '+') {
            out += "%20";
        } else {
            out += c;
        }
    }
    return out;
}

bool has_scope(const oauth::ScopeSet& scopes, std::string_view scope) {
    const auto& items = scopes.items();
    return std::find(items.begin(), items.end(), scope) != items.end();
}

// A URL without its query and fragment, for logs: a query may carry codes and states.
std::string without_query(const boost::urls::url& url) {
    boost::urls::url copy = url;
    copy.remove_query();
    copy.remove_fragment();
    return std::string(copy.buffer());
}

// scheme://host:port with the default port filled in, lower-cased (RFC 6454 §4).
std::optional<std::string> origin_of(std::string_view text) {
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url || !url->has_authority()) {
        return std::nullopt;
    }
    std::string port(url->port());
    if (port.empty()) {
        port = url->scheme_id() == boost::urls::scheme::https ? "443" : "80";
    }
    std::string origin =
        std::string(url->scheme()) + "://" + std::string(url->encoded_host()) + ":" + port;
    std::transform(origin.begin(), origin.end(), origin.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return origin;
}

// Without a configured issuer, an `iss` from another origin than the authorization
// endpoint's still reveals a response meant for another provider (RFC 9207 §2.4).
Result<void> check_issuer_origin(const oauth::Profile& profile, const CallbackResult& callback) {
    if (!callback.issuer) {
        return {};
    }
    const auto expected = origin_of(profile.authorization_url->buffer());
    const auto actual = origin_of(*callback.issuer);
    if (!actual || actual != expected) {
        return make_error(Errc::kInvalidRequest, "the authorization response names the issuer " +
                                                     *callback.issuer +
                                                     ", which is not the provider of " +
                                                     without_query(*profile.authorization_url) +
                                                     " (RFC 9207); the code was not used");
    }
    return {};
}

Error timeout_error(const Error& waited, const oauth::Profile& profile,
                    const LoginOptions& options) {
    Error e = waited;
    e.message = "the browser login did not finish within " +
                std::to_string(options.deadline.count()) + " s (" + waited.message +
                "). If the provider showed an error page instead of sending the browser back, "
                "check that the redirect URI registered with the provider matches " +
                std::string(profile.redirect_uri->buffer()) +
                " (for a loopback redirect the provider should accept any port, "
                "RFC 8252 §7.3)";
    return e;
}

}  // namespace

Result<AuthorizationRequest> build_authorization_request(const oauth::Profile& profile,
                                                         const LoginOptions& options,
                                                         std::string_view redirect_uri,
                                                         std::string_view state,
                                                         std::string_view code_challenge) {
    if (!profile.authorization_url) {
        return make_error(Errc::kMissingField, "the profile has no authorization_url");
    }
    AuthorizationRequest request;
    request.redirect_uri = std::string(redirect_uri);
    request.scopes = profile.scopes;
    if (options.request_offline_access && !has_scope(request.scopes, kOfflineAccess)) {
        auto items = request.scopes.items();
        items.emplace_back(kOfflineAccess);
        request.scopes = oauth::ScopeSet(std::move(items));
    }

    // OIDC Core §11: a provider may drop offline_access unless the user is asked for it
    // outright, and oidc-provider does exactly that (no refresh token) without
    // prompt=consent. Asking for consent again is the price of a refresh token.
    std::optional<std::string> prompt = options.prompt;
    if (!prompt && has_scope(request.scopes, kOfflineAccess)) {
        prompt = "consent";
    }

    boost::urls::url url = *profile.authorization_url;
    auto params = url.encoded_params();
    const auto add = [&params](std::string_view name, std::string_view value) {
        const std::string encoded_name = query_encode(name);
        const std::string encoded_value = query_encode(value);
        params.append({encoded_name, encoded_value});
    };
    add("response_type", "code");
    add("client_id", profile.client_id.value);
    add("redirect_uri", redirect_uri);
    if (!request.scopes.empty()) {
        add("scope", request.scopes.to_string());
    }
    add("state", state);
    add("code_challenge", code_challenge);
    add("code_challenge_method", "S256");
    if (prompt) {
        add("prompt", *prompt);
    }
    if (options.login_hint) {
        add("login_hint", *options.login_hint);
    }
    if (!profile.audience.empty()) {
        add("audience", profile.audience);  // Auth0 and others take the API here
    }
    request.url = std::string(url.buffer());
    return request;
}

Result<oauth::HttpRequest> build_code_exchange_request(const oauth::Profile& profile,
                                                       const Secret& code,
                                                       std::string_view redirect_uri,
                                                       const Secret& code_verifier) {
    oauth::FormBody form;
    form.add("grant_type", "authorization_code");
    form.add("code", code.reveal());
    form.add("redirect_uri", redirect_uri);
    form.add("code_verifier", code_verifier.reveal());

    // RFC 6749 §4.1.3: a public client sends its client_id.
    return oauth::authenticated_post(profile, form, profile.token_url);
}

asio::awaitable<Result<oauth::Token>> run_authorization_code_login(const oauth::Profile& profile,
                                                                   oauth::HttpClient& http,
                                                                   const LoginOptions& options,
                                                                   oauth::Now now) {
    if (!profile.authorization_url || !profile.redirect_uri) {
        co_return make_error(Errc::kMissingField,
                             "a browser login needs the profile's authorization_url and "
                             "redirect_uri");
    }
    const std::string flow = oauth::random_state().substr(0, 8);

    // RFC 8252 §7.3: the port is held from here on, before the browser can be sent to it.
    auto listener =
        LoopbackListener::bind(co_await asio::this_coro::executor, *profile.redirect_uri);
    if (!listener) {
        logger()->error("login {}: {}", flow, listener.error().message);
        co_return listener.error();
    }

    const oauth::Pkce pkce = oauth::make_pkce();
    Secret state(oauth::random_state());
    auto request = build_authorization_request(profile, options, listener->redirect_uri(),
                                               state.reveal(), pkce.challenge);
    if (!request) {
        co_return request.error();
    }
    logger()->info("login {}: profile '{}', sign-in at {}, redirect to port {}, deadline {} s",
                   flow, profile.name, without_query(*profile.authorization_url), listener->port(),
                   options.deadline.count());

    if (options.on_browser_url) {
        options.on_browser_url(request->url);
    }
    if (options.open_browser) {
        auto opened = open_browser(options.browser_command, request->url);
        if (!opened && !options.on_browser_url) {
            logger()->error("login {}: {}", flow, opened.error().message);
            co_return opened.error();
        }
        if (!opened) {
            logger()->warn("login {}: {}; the caller was given the URL instead", flow,
                           opened.error().message);
        }
    }

    auto callback =
        co_await listener->wait_for_callback(std::move(state), options.expected_issuer,
                                             std::chrono::steady_clock::now() + options.deadline);
    if (!callback) {
        Error e = callback.error();
        const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
        if (e.code == Errc::kTimeout && cancelled == asio::cancellation_type::none) {
            e = timeout_error(e, profile, options);
        }
        logger()->error("login {}: {}", flow, e.message);
        co_return e;
    }
    if (!options.expected_issuer) {
        if (auto issuer = check_issuer_origin(profile, *callback); !issuer) {
            logger()->error("login {}: {}", flow, issuer.error().message);
            co_return issuer.error();
        }
    }

    // Exactly one attempt: a code is single-use (RFC 6749 §4.1.2), and a provider may revoke
    // what it issued for a code that is presented twice.
    auto exchange =
        build_code_exchange_request(profile, callback->code, request->redirect_uri, pkce.verifier);
    if (!exchange) {
        co_return exchange.error();
    }
    const oauth::TokenResponseContext context{request->scopes, now(), profile.default_lifetime};
    auto response = co_await http.send(*exchange);
    if (!response) {
        logger()->error("login {}: redeeming the code failed: {}", flow, response.error().message);
        co_return response.error();
    }
    auto token = oauth::parse_token_response(*response, context);
    if (!token) {
        logger()->error("login {}: the token endpoint refused the code: {}", flow,
                        token.error().message);
        co_return token.error();
    }
    logger()->info("login {}: signed in; access token {}, {} refresh token", flow,
                   token->access_token.fingerprint(),
                   token->refresh_token.empty() ? "no" : "with a");
    co_return token;
}

}  // namespace vegha::login
