#include "oauth/discovery.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

namespace vegha::oauth {
namespace json = boost::json;

std::vector<boost::urls::url> metadata_urls(const boost::urls::url& issuer) {
    std::string path(issuer.encoded_path());
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    const std::string origin =
        std::string(issuer.scheme()) + "://" + std::string(issuer.encoded_host_and_port());
    std::vector<boost::urls::url> urls;
    for (const std::string& text : {origin + path + "/.well-known/openid-configuration",
                                    origin + "/.well-known/oauth-authorization-server" + path}) {
        if (auto url = boost::urls::parse_absolute_uri(text)) {
            urls.emplace_back(*url);
        }
    }
    return urls;
}

namespace {

Result<std::optional<boost::urls::url>> endpoint(const json::object& document,
                                                 std::string_view name) {
    const auto* value = document.if_contains(name);
    if (!value || value->is_null()) {
        return std::optional<boost::urls::url>();
    }
    if (!value->is_string()) {
        return make_error(Errc::kInvalidTokenResponse,
                          "provider metadata: \"" + std::string(name) + "\" is not a string");
    }
    auto url = parse_endpoint_url(value->as_string(), name);
    if (!url) {
        Error e = url.error();
        e.message = "provider metadata: " + e.message;
        return e;
    }
    return std::optional<boost::urls::url>(std::move(*url));
}

std::vector<std::string> strings(const json::object& document, std::string_view name) {
    std::vector<std::string> out;
    if (const auto* value = document.if_contains(name); value && value->is_array()) {
        for (const auto& item : value->as_array()) {
            if (item.is_string()) {
                out.emplace_back(item.as_string());
            }
        }
    }
    return out;
}

}  // namespace

Result<ProviderMetadata> parse_metadata(const HttpResponse& response, std::string_view issuer) {
    if (response.status != 200) {
        Error e = make_error(Errc::kInvalidTokenResponse,
                             "provider metadata: HTTP " + std::to_string(response.status));
        e.http_status = response.status;
        return e;
    }
    boost::system::error_code ec;
    const json::value parsed = json::parse(response.body, ec);
    if (ec || !parsed.is_object()) {
        return make_error(Errc::kInvalidTokenResponse,
                          "provider metadata is not a JSON object (body begins \"" +
                              redacted_prefix(response.body) + "\")");
    }
    const json::object& document = parsed.as_object();
    const auto* stated = document.if_contains("issuer");
    if (!stated || !stated->is_string() || stated->as_string() != issuer) {
        return make_error(
            Errc::kInvalidTokenResponse,
            "provider metadata names another issuer than \"" + std::string(issuer) + "\"");
    }

    ProviderMetadata metadata;
    metadata.issuer = std::string(issuer);
    const std::pair<std::string_view, std::optional<boost::urls::url>*> endpoints[] = {
        {"authorization_endpoint", &metadata.authorization_endpoint},
        {"token_endpoint", &metadata.token_endpoint},
        {"revocation_endpoint", &metadata.revocation_endpoint},
        {"device_authorization_endpoint", &metadata.device_authorization_endpoint},
    };
    for (const auto& [name, target] : endpoints) {
        auto url = endpoint(document, name);
        if (!url) {
            return url.error();
        }
        *target = std::move(*url);
    }
    metadata.token_endpoint_auth_methods_supported =
        strings(document, "token_endpoint_auth_methods_supported");
    metadata.code_challenge_methods_supported =
        strings(document, "code_challenge_methods_supported");
    return metadata;
}

bool needs_discovery(const Profile& profile) {
    if (!profile.issuer) {
        return false;
    }
    if (profile.token_url.empty()) {
        return true;
    }
    if (profile.grant != GrantType::kAuthorizationCode) {
        return false;
    }
    return profile.login == LoginMethod::kDevice ? !profile.device_authorization_url
                                                 : !profile.authorization_url;
}

void apply_metadata(const ProviderMetadata& metadata, Profile& profile) {
    if (profile.token_url.empty() && metadata.token_endpoint) {
        profile.token_url = *metadata.token_endpoint;
    }
    if (!profile.authorization_url && metadata.authorization_endpoint) {
        profile.authorization_url = metadata.authorization_endpoint;
    }
    if (!profile.revocation_url && metadata.revocation_endpoint) {
        profile.revocation_url = metadata.revocation_endpoint;
    }
    if (!profile.device_authorization_url && metadata.device_authorization_endpoint) {
        profile.device_authorization_url = metadata.device_authorization_endpoint;
    }
}

boost::asio::awaitable<Result<ProviderMetadata>> Discovery::metadata(
    const std::string& issuer, const std::chrono::seconds& timeout, const std::string& ca_file) {
    if (const auto it = cache_.find(issuer);
        it != cache_.end() && now_() - it->second.fetched < max_age_) {
        co_return it->second.metadata;
    }
    auto issuer_url = parse_endpoint_url(issuer, "issuer");
    if (!issuer_url) {
        co_return issuer_url.error();
    }
    Error last = make_error(Errc::kInvalidTokenResponse, "no metadata found for " + issuer);
    for (const auto& url : metadata_urls(*issuer_url)) {
        HttpRequest request;
        request.method = HttpRequest::Method::kGet;
        request.url = url;
        request.timeout = timeout;
        request.ca_file = ca_file;
        auto response = co_await http_.send(request);
        if (!response) {
            co_return response.error();  // unreachable: the other place is on the same host
        }
        auto parsed = parse_metadata(*response, issuer);
        if (parsed) {
            cache_.insert_or_assign(issuer, Entry{*parsed, now_()});
            co_return std::move(*parsed);
        }
        last = parsed.error();
    }
    co_return last;
}

boost::asio::awaitable<Result<Profile>> Discovery::complete(const Profile& profile) {
    if (!needs_discovery(profile)) {
        co_return profile;
    }
    auto found = co_await metadata(*profile.issuer, profile.timeout, profile.ca_file);
    if (!found) {
        Error e = found.error();
        e.message = "discovery for " + *profile.issuer + ": " + e.message;
        co_return e;
    }
    Profile completed = profile;
    apply_metadata(*found, completed);
    if (completed.token_url.empty()) {
        co_return make_error(Errc::kMissingField,
                             "the provider's metadata has no token_endpoint; set token_url");
    }
    co_return completed;
}

}  // namespace vegha::oauth
