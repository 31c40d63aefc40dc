#pragma once

// A profile says how to obtain one kind of token: which provider, which client, which grant,
// which scopes. Profiles come from the daemon's configuration file or inline with a request;
// both use the JSON shape documented in README.md and parse through parse_profile().

#include <boost/json/object.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"
#include "oauth/scope_set.hpp"

namespace vegha::oauth {

enum class GrantType { kClientCredentials, kPassword, kAuthorizationCode };

// How the client proves its identity at the token endpoint (RFC 6749 §2.3.1).
enum class ClientAuth { kBasic, kPost, kNone };

// How a person signs in for an authorization_code profile: the system browser with a
// loopback redirect (RFC 8252), or a code entered on another device (RFC 8628).
enum class LoginMethod { kBrowser, kDevice };

std::string_view grant_type_name(GrantType grant) noexcept;
std::string_view client_auth_name(ClientAuth auth) noexcept;
std::string_view login_method_name(LoginMethod method) noexcept;

struct ClientId {
    std::string value;
    friend bool operator==(const ClientId&, const ClientId&) = default;
};

struct Profile {
    std::string name;  // empty for a profile sent inline with a request
    GrantType grant = GrantType::kClientCredentials;
    boost::urls::url token_url;
    std::optional<boost::urls::url> authorization_url;
    std::optional<boost::urls::url> redirect_uri;
    ClientId client_id;
    Secret client_secret;
    ClientAuth client_auth = ClientAuth::kNone;
    ScopeSet scopes;
    std::string audience;
    std::string username;
    Secret password;

    // A PEM bundle of CAs to trust for this provider instead of the daemon's default (a
    // company CA, a test provider); empty: the default.
    std::string ca_file;

    // Bounds every exchange with the provider, from resolve to the last byte of the reply.
    std::chrono::seconds timeout{30};
    // Assumed lifetime of a token whose response carries no expires_in.
    std::chrono::seconds default_lifetime{300};

    // Interactive login (authorization_code profiles). kDevice needs
    // device_authorization_url; kBrowser falls back to it when no browser can be started.
    LoginMethod login = LoginMethod::kBrowser;
    std::optional<boost::urls::url> device_authorization_url;
    // The browser to start, as argv ("%s" marks the URL); empty: the daemon's default.
    std::vector<std::string> browser_command;
    // How long a person has to finish a login.
    std::chrono::seconds login_timeout{300};
    // The provider's issuer identifier; when set, the `iss` of an authorization response
    // must equal it exactly (RFC 9207 §2.4). Kept as written: the comparison is textual.
    std::optional<std::string> issuer;
    // Where logout revokes the grant (RFC 7009); unset: logout only forgets it.
    std::optional<boost::urls::url> revocation_url;
};

// Where indirect values such as "client_secret_env" are looked up. Inline profiles from a
// request get no lookup: a caller's request must not read the daemon's environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

EnvLookup process_environment();

struct ParseOptions {
    EnvLookup env;  // empty: indirect values are refused
    // "browser_command" names a program the daemon runs. Profiles sent with a request set
    // this to false: a caller may ask for tokens, not make the daemon start programs.
    bool allow_browser_command = true;
};

// Validates every field and the fields each grant requires; the error names the field.
Result<Profile> parse_profile(const boost::json::object& object, std::string_view name,
                              const ParseOptions& options);

// Parses {"profiles": {"name": {...}, ...}} as found in config.json.
Result<std::map<std::string, Profile>> parse_config(const boost::json::object& root,
                                                    const ParseOptions& options);

// The https:// URL of an endpoint, or http:// on a loopback host (a local test provider).
Result<boost::urls::url> parse_endpoint_url(std::string_view text, std::string_view field);

bool is_loopback_host(std::string_view host);

// Everything that makes two profiles' tokens different: provider, client, grant, scopes,
// user, audience, and a digest of the credentials (so a wrong password is never answered
// from a token obtained with the right one).
std::string cache_key(const Profile& profile);

}  // namespace vegha::oauth
