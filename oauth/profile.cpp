#include "oauth/profile.hpp"

#include <openssl/sha.h>

#include <array>
#include <boost/json/array.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <string>

namespace vegha::oauth {
namespace json = boost::json;

std::string_view grant_type_name(GrantType grant) noexcept {
    switch (grant) {
        case GrantType::kClientCredentials:
            return "client_credentials";
        case GrantType::kPassword:
            return "password";
        case GrantType::kAuthorizationCode:
            return "authorization_code";
    }
    return "unknown";
}

std::string_view client_auth_name(ClientAuth auth) noexcept {
    switch (auth) {
        case ClientAuth::kBasic:
            return "client_secret_basic";
        case ClientAuth::kPost:
            return "client_secret_post";
        case ClientAuth::kNone:
            return "none";
    }
    return "unknown";
}

std::string_view login_method_name(LoginMethod method) noexcept {
    switch (method) {
        case LoginMethod::kBrowser:
            return "browser";
        case LoginMethod::kDevice:
            return "device";
    }
    return "unknown";
}

EnvLookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
}

bool is_loopback_host(std::string_view host) {
    // RFC 8252 §8.3 prefers the IP literals; "localhost" is accepted for http:// endpoints
    // of a local provider, where it can only resolve to this machine.
    if (host == "localhost" || host == "::1" || host == "[::1]") {
        return true;
    }
    return host.starts_with("127.") && host.find_first_not_of("0123456789.") == host.npos;
}

Result<boost::urls::url> parse_endpoint_url(std::string_view text, std::string_view field) {
    auto parsed = boost::urls::parse_absolute_uri(text);
    if (!parsed || !parsed->has_authority() || parsed->host().empty()) {
        return make_error(Errc::kInvalidRequest,
                          "\"" + std::string(field) + "\" is not an absolute http(s) URL");
    }
    // RFC 3986 §3.3: after an authority the path is empty or starts with "/". Checking it
    // also refuses "http://127.0.0.1.evil.example/", which Boost.URL 1.81 misreads as host
    // 127.0.0.1 with the path ".evil.example/".
    const auto path = parsed->encoded_path();
    if (!path.empty() && path.front() != '/') {
        return make_error(Errc::kInvalidRequest,
                          "\"" + std::string(field) +
                              "\" has a host this broker cannot read "
                              "safely (a name that begins like an IP address?)");
    }
    const auto scheme = parsed->scheme_id();
    if (scheme == boost::urls::scheme::http) {
        if (!is_loopback_host(parsed->host())) {
            return make_error(Errc::kInsecureUrl,
                              "\"" + std::string(field) +
                                  "\" uses plain http:// to a host that is not loopback; "
                                  "use https://");
        }
    } else if (scheme != boost::urls::scheme::https) {
        return make_error(Errc::kInsecureUrl, "\"" + std::string(field) + "\" must use https://");
    }
    if (parsed->has_fragment()) {
        return make_error(Errc::kInvalidRequest,
                          "\"" + std::string(field) + "\" must not have a fragment");
    }
    return boost::urls::url(*parsed);
}

namespace {

Error field_error(Errc code, std::string_view profile, std::string_view field,
                  std::string_view problem) {
    std::string where = profile.empty() ? std::string("inline profile")
                                        : "profile \"" + std::string(profile) + "\"";
    return make_error(code, where + ": \"" + std::string(field) + "\" " + std::string(problem));
}

// Reads an optional string member; a member of another type is an error, not "absent".
Result<std::optional<std::string>> optional_string(const json::object& object,
                                                   std::string_view profile,
                                                   std::string_view field) {
    const auto* value = object.if_contains(field);
    if (!value || value->is_null()) {
        return std::optional<std::string>();
    }
    if (!value->is_string()) {
        return field_error(Errc::kInvalidRequest, profile, field, "must be a string");
    }
    return std::optional<std::string>(std::string(value->as_string()));
}

// A secret may be given directly ("password") or named indirectly ("password_env"), so a
// configuration file need not hold it in plaintext.
Result<Secret> read_secret(const json::object& object, std::string_view profile,
                           std::string_view field, const ParseOptions& options) {
    auto direct = optional_string(object, profile, field);
    if (!direct) {
        return direct.error();
    }
    const std::string env_field = std::string(field) + "_env";
    auto env_name = optional_string(object, profile, env_field);
    if (!env_name) {
        return env_name.error();
    }
    if (*direct && *env_name) {
        return field_error(Errc::kInvalidRequest, profile, field,
                           "and \"" + env_field + "\" are both given; keep one");
    }
    if (*direct) {
        return Secret(std::move(**direct));
    }
    if (!*env_name) {
        return Secret();
    }
    if (!options.env) {
        return field_error(Errc::kInvalidRequest, profile, env_field,
                           "is not allowed here; send the value itself");
    }
    auto value = options.env(**env_name);
    if (!value) {
        return field_error(Errc::kMissingField, profile, env_field,
                           "names the environment variable " + **env_name + ", which is not set");
    }
    return Secret(std::move(*value));
}

Result<ScopeSet> read_scopes(const json::object& object, std::string_view profile) {
    const auto* value = object.if_contains("scopes");
    if (!value || value->is_null()) {
        return ScopeSet();
    }
    if (value->is_string()) {
        return ScopeSet::parse(value->as_string());
    }
    if (!value->is_array()) {
        return field_error(Errc::kInvalidRequest, profile, "scopes",
                           "must be an array of strings or a space-separated string");
    }
    std::vector<std::string> scopes;
    for (const auto& item : value->as_array()) {
        if (!item.is_string() || item.as_string().empty() ||
            std::string_view(item.as_string()).find(' ') != std::string_view::npos) {
            return field_error(Errc::kInvalidRequest, profile, "scopes",
                               "must hold non-empty strings without spaces");
        }
        scopes.emplace_back(item.as_string());
    }
    return ScopeSet(std::move(scopes));
}

Result<std::chrono::seconds> read_seconds(const json::object& object, std::string_view profile,
                                          std::string_view field, std::chrono::seconds fallback) {
    const auto* value = object.if_contains(field);
    if (!value || value->is_null()) {
        return fallback;
    }
    if (!value->is_int64() || value->as_int64() <= 0 || value->as_int64() > 86400) {
        return field_error(Errc::kInvalidRequest, profile, field,
                           "must be a whole number of seconds from 1 to 86400");
    }
    return std::chrono::seconds(value->as_int64());
}

Result<GrantType> read_grant(const json::object& object, std::string_view profile) {
    auto grant = optional_string(object, profile, "grant");
    if (!grant) {
        return grant.error();
    }
    if (!*grant) {
        return field_error(Errc::kMissingField, profile, "grant",
                           "is required (client_credentials, password or authorization_code)");
    }
    if (**grant == "client_credentials") {
        return GrantType::kClientCredentials;
    }
    if (**grant == "password") {
        return GrantType::kPassword;
    }
    if (**grant == "authorization_code") {
        return GrantType::kAuthorizationCode;
    }
    return field_error(
        Errc::kUnsupportedGrant, profile, "grant",
        "is \"" + **grant + "\"; expected client_credentials, password or authorization_code");
}

Result<ClientAuth> read_client_auth(const json::object& object, std::string_view profile,
                                    bool has_secret) {
    auto auth = optional_string(object, profile, "client_auth");
    if (!auth) {
        return auth.error();
    }
    if (!*auth) {
        return has_secret ? ClientAuth::kBasic : ClientAuth::kNone;
    }
    if (**auth == "client_secret_basic" || **auth == "basic") {
        return ClientAuth::kBasic;
    }
    if (**auth == "client_secret_post" || **auth == "post") {
        return ClientAuth::kPost;
    }
    if (**auth == "none") {
        return ClientAuth::kNone;
    }
    return field_error(Errc::kInvalidRequest, profile, "client_auth",
                       "must be client_secret_basic, client_secret_post or none");
}

Result<std::optional<boost::urls::url>> read_url(const json::object& object,
                                                 std::string_view profile, std::string_view field) {
    auto text = optional_string(object, profile, field);
    if (!text) {
        return text.error();
    }
    if (!*text) {
        return std::optional<boost::urls::url>();
    }
    auto url = parse_endpoint_url(**text, field);
    if (!url) {
        Error e = url.error();
        e.message = field_error(e.code, profile, field, "").message + ": " + e.message;
        return e;
    }
    return std::optional<boost::urls::url>(std::move(*url));
}

// RFC 8252 §7.3: a native app's redirect is http:// on a loopback IP literal; the port is
// chosen at login time, so a registered port is optional.
Result<std::optional<boost::urls::url>> read_redirect_uri(const json::object& object,
                                                          std::string_view profile) {
    auto url = read_url(object, profile, "redirect_uri");
    if (!url || !*url) {
        return url;
    }
    const auto& redirect = **url;
    if (redirect.scheme_id() != boost::urls::scheme::http || !is_loopback_host(redirect.host())) {
        return field_error(Errc::kInsecureUrl, profile, "redirect_uri",
                           "must be http:// on a loopback address such as "
                           "http://127.0.0.1/callback");
    }
    return url;
}

Result<LoginMethod> read_login_method(const json::object& object, std::string_view profile) {
    auto method = optional_string(object, profile, "login");
    if (!method) {
        return method.error();
    }
    if (!*method || **method == "browser") {
        return LoginMethod::kBrowser;
    }
    if (**method == "device") {
        return LoginMethod::kDevice;
    }
    return field_error(Errc::kInvalidRequest, profile, "login", "must be browser or device");
}

Result<std::vector<std::string>> read_browser_command(const json::object& object,
                                                      std::string_view profile,
                                                      const ParseOptions& options) {
    const auto* value = object.if_contains("browser_command");
    if (!value || value->is_null()) {
        return std::vector<std::string>();
    }
    if (!options.allow_browser_command) {
        return field_error(Errc::kInvalidRequest, profile, "browser_command",
                           "is only accepted in the daemon's configuration file");
    }
    // An argv, never a shell line: the URL travels as one argument (see login/browser.hpp).
    if (!value->is_array() || value->as_array().empty()) {
        return field_error(Errc::kInvalidRequest, profile, "browser_command",
                           "must be a non-empty array of strings (program and arguments)");
    }
    std::vector<std::string> argv;
    for (const auto& item : value->as_array()) {
        if (!item.is_string() || item.as_string().empty()) {
            return field_error(Errc::kInvalidRequest, profile, "browser_command",
                               "must hold non-empty strings");
        }
        argv.emplace_back(item.as_string());
    }
    return argv;
}

// RFC 8414 §2: an issuer is an https URL (http on loopback for a local provider) without
// query or fragment. It is kept as written, since RFC 9207 compares it as a string.
Result<std::optional<std::string>> read_issuer(const json::object& object,
                                               std::string_view profile) {
    auto text = optional_string(object, profile, "issuer");
    if (!text || !*text) {
        return text;
    }
    auto url = parse_endpoint_url(**text, "issuer");
    if (!url) {
        Error e = url.error();
        e.message = field_error(e.code, profile, "issuer", "").message + ": " + e.message;
        return e;
    }
    if (url->has_query()) {
        return field_error(Errc::kInvalidRequest, profile, "issuer", "must not have a query");
    }
    return text;
}

Error missing(std::string_view profile, std::string_view field, GrantType grant) {
    return field_error(Errc::kMissingField, profile, field,
                       "is required for the " + std::string(grant_type_name(grant)) + " grant");
}

// Each grant's required fields (RFC 6749 §4.1, §4.3, §4.4).
Result<void> check_required(const Profile& p, std::string_view name) {
    if (p.client_id.value.empty()) {
        return missing(name, "client_id", p.grant);
    }
    // With an issuer, missing endpoints come from the provider's metadata (discovery).
    if (p.token_url.empty() && !p.issuer) {
        return field_error(Errc::kMissingField, name, "token_url",
                           "is required (or give \"issuer\" to discover it)");
    }
    switch (p.grant) {
        case GrantType::kClientCredentials:
            if (p.client_secret.empty()) {
                return missing(name, "client_secret", p.grant);
            }
            if (p.client_auth == ClientAuth::kNone) {
                return field_error(Errc::kInvalidRequest, name, "client_auth",
                                   "cannot be none for the client_credentials grant");
            }
            break;
        case GrantType::kPassword:
            if (p.username.empty()) {
                return missing(name, "username", p.grant);
            }
            if (p.password.empty()) {
                return missing(name, "password", p.grant);
            }
            break;
        case GrantType::kAuthorizationCode:
            // A device login never sends the user to authorization_url nor back to a
            // redirect; RFC 8628 §3.1 needs only the device endpoint.
            if (p.login == LoginMethod::kDevice) {
                if (!p.device_authorization_url && !p.issuer) {
                    return field_error(Errc::kMissingField, name, "device_authorization_url",
                                       "is required when login is device");
                }
                break;
            }
            if (!p.authorization_url && !p.issuer) {
                return missing(name, "authorization_url", p.grant);
            }
            if (!p.redirect_uri) {
                return missing(name, "redirect_uri", p.grant);
            }
            break;
    }
    if (p.grant != GrantType::kAuthorizationCode && p.login != LoginMethod::kBrowser) {
        return field_error(Errc::kInvalidRequest, name, "login",
                           "applies only to the authorization_code grant");
    }
    if (p.client_auth != ClientAuth::kNone && p.client_secret.empty()) {
        return field_error(
            Errc::kMissingField, name, "client_secret",
            "is required when client_auth is " + std::string(client_auth_name(p.client_auth)));
    }
    return {};
}

// The members about interactive login and logout, into `p`.
Result<void> read_login_fields(const json::object& object, std::string_view name,
                               const ParseOptions& options, Profile& p) {
    auto method = read_login_method(object, name);
    if (!method) {
        return method.error();
    }
    p.login = *method;

    auto device = read_url(object, name, "device_authorization_url");
    auto revocation = read_url(object, name, "revocation_url");
    if (!device) {
        return device.error();
    }
    if (!revocation) {
        return revocation.error();
    }
    p.device_authorization_url = std::move(*device);
    p.revocation_url = std::move(*revocation);

    auto browser = read_browser_command(object, name, options);
    if (!browser) {
        return browser.error();
    }
    p.browser_command = std::move(*browser);

    auto issuer = read_issuer(object, name);
    auto login_timeout = read_seconds(object, name, "login_timeout_seconds", p.login_timeout);
    if (!issuer) {
        return issuer.error();
    }
    if (!login_timeout) {
        return login_timeout.error();
    }
    p.issuer = std::move(*issuer);
    p.login_timeout = *login_timeout;
    return {};
}

}  // namespace

Result<Profile> parse_profile(const json::object& object, std::string_view name,
                              const ParseOptions& options) {
    Profile p;
    p.name = std::string(name);

    auto grant = read_grant(object, name);
    if (!grant) {
        return grant.error();
    }
    p.grant = *grant;

    auto token_url = read_url(object, name, "token_url");
    if (!token_url) {
        return token_url.error();
    }
    if (*token_url) {
        p.token_url = std::move(**token_url);
    }

    auto authorization_url = read_url(object, name, "authorization_url");
    if (!authorization_url) {
        return authorization_url.error();
    }
    p.authorization_url = std::move(*authorization_url);

    auto redirect_uri = read_redirect_uri(object, name);
    if (!redirect_uri) {
        return redirect_uri.error();
    }
    p.redirect_uri = std::move(*redirect_uri);

    auto client_id = optional_string(object, name, "client_id");
    if (!client_id) {
        return client_id.error();
    }
    p.client_id.value = client_id->value_or("");

    auto client_secret = read_secret(object, name, "client_secret", options);
    if (!client_secret) {
        return client_secret.error();
    }
    p.client_secret = std::move(*client_secret);

    auto client_auth = read_client_auth(object, name, !p.client_secret.empty());
    if (!client_auth) {
        return client_auth.error();
    }
    p.client_auth = *client_auth;

    auto scopes = read_scopes(object, name);
    if (!scopes) {
        return scopes.error();
    }
    p.scopes = std::move(*scopes);

    auto audience = optional_string(object, name, "audience");
    auto username = optional_string(object, name, "username");
    if (!audience) {
        return audience.error();
    }
    if (!username) {
        return username.error();
    }
    p.audience = audience->value_or("");
    p.username = username->value_or("");

    auto password = read_secret(object, name, "password", options);
    if (!password) {
        return password.error();
    }
    p.password = std::move(*password);

    auto ca_file = optional_string(object, name, "ca_file");
    if (!ca_file) {
        return ca_file.error();
    }
    p.ca_file = ca_file->value_or("");

    auto timeout = read_seconds(object, name, "timeout_seconds", p.timeout);
    auto lifetime = read_seconds(object, name, "default_lifetime_seconds", p.default_lifetime);
    if (!timeout) {
        return timeout.error();
    }
    if (!lifetime) {
        return lifetime.error();
    }
    p.timeout = *timeout;
    p.default_lifetime = *lifetime;

    if (auto read = read_login_fields(object, name, options, p); !read) {
        return read.error();
    }

    if (auto required = check_required(p, name); !required) {
        return required.error();
    }
    return p;
}

Result<std::map<std::string, Profile>> parse_config(const json::object& root,
                                                    const ParseOptions& options) {
    std::map<std::string, Profile> profiles;
    const auto* section = root.if_contains("profiles");
    if (!section) {
        return profiles;
    }
    if (!section->is_object()) {
        return make_error(Errc::kInvalidRequest, "\"profiles\" must be an object of profiles");
    }
    for (const auto& [name, value] : section->as_object()) {
        if (name.empty()) {
            return make_error(Errc::kInvalidRequest, "a profile name must not be empty");
        }
        if (!value.is_object()) {
            return make_error(Errc::kInvalidRequest,
                              "profile \"" + std::string(name) + "\" must be an object");
        }
        auto profile = parse_profile(value.as_object(), name, options);
        if (!profile) {
            return profile.error();
        }
        profiles.emplace(std::string(name), std::move(*profile));
    }
    return profiles;
}

namespace {

void append_field(std::string& key, std::string_view value) {
    // Length-prefixed, so no choice of field values can make two keys collide.
    key += std::to_string(value.size());
    key += ':';
    key += value;
}

}  // namespace

std::string cache_key(const Profile& p) {
    std::string credentials;
    append_field(credentials, p.client_secret.reveal());
    append_field(credentials, p.password.reveal());
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(credentials.data()), credentials.size(),
           digest.data());
    std::fill(credentials.begin(), credentials.end(), '\0');

    std::string key;
    append_field(key, grant_type_name(p.grant));
    // A profile that names only its issuer has no token URL yet: the issuer stands in.
    append_field(key,
                 p.token_url.empty() ? p.issuer.value_or("") : std::string(p.token_url.buffer()));
    append_field(key, p.client_id.value);
    append_field(key, p.scopes.to_string());
    append_field(key, p.username);
    append_field(key, p.audience);
    key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return key;
}

}  // namespace vegha::oauth
