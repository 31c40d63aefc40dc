#pragma once

// The vegha-broker client library: asks the local daemon `vegha-brokerd` for OAuth2 access
// tokens over its Unix socket (protocol version 1, proto/PROTOCOL.md in the source tree).
//
// Every call returns a Result<T>: either the value, or an Error saying what went wrong.
// Nothing here throws for an expected failure; only Result<T>::value() on an error throws
// (BrokerError), and allocation can throw std::bad_alloc. The library never logs and never
// prints; tokens reach only the caller.
//
// This header depends on the standard library and header-only Boost.System alone, so a
// program can use it without the broker's own sources.

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vegha::client {

// Why a call failed.
//
// `code` is stable and meant for programs: one of the protocol's error codes
// ("unknown_profile", "idp_error", "login_required", ...) passed through from the daemon
// as sent, including codes newer than this library, or one the library reports itself:
//   "daemon_unavailable"  nothing listens on the socket, or it hung up without answering
//   "timeout"             the daemon did not answer within ClientOptions::timeout
//   "malformed_frame"     the daemon's reply is not a valid protocol reply
//   "frame_too_large"     the daemon's reply announces more than 1 MiB
//   "invalid_request"     the request was refused before contacting the daemon
// `message` is for people and may change. When the identity provider refused
// (code "idp_error"), `idp_error`, `idp_error_description` and `http_status` carry its
// own words (RFC 6749 §5.2); otherwise they are empty and 0.
struct Error {
    std::string code;
    std::string message;
    std::string idp_error;
    std::string idp_error_description;
    unsigned http_status = 0;
};

// Thrown by Result<T>::value() when the result holds an Error. Checking the result first
// avoids it.
class BrokerError : public std::runtime_error {
public:
    explicit BrokerError(Error error);

    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

// Found by argument-dependent lookup so that Result<T>::value() throws BrokerError.
[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

template <class T>
using Result = boost::system::result<T, Error>;

// The socket path by the protocol's rule, first match wins:
//   1. `explicit_path`, when not empty;
//   2. the environment variable VEGHA_BROKER_SOCKET, when set and not empty;
//   3. $XDG_RUNTIME_DIR/vegha-broker/broker.sock, when XDG_RUNTIME_DIR is set and not empty;
//   4. /tmp/vegha-broker-<effective uid>/broker.sock.
// Reads the environment on every call; safe to call from any thread as long as nothing
// modifies the environment at the same time.
std::string resolve_socket_path(std::string_view explicit_path = {});

struct ClientOptions {
    // Empty means resolve_socket_path() decides, when the client first connects.
    std::string socket_path = {};
    // The longest one call may take, from connecting to the last byte of the reply. The
    // default is long because a token request may wait on the identity provider.
    std::chrono::milliseconds timeout{std::chrono::seconds(120)};
    // The longest an interactive call (get_token with interactive set, login) may take,
    // when that is longer than `timeout`: a person has to sign in meanwhile. The daemon's
    // own login deadline (the profile's login_timeout_seconds, 300 by default) normally
    // ends the wait first.
    std::chrono::milliseconds login_timeout{std::chrono::minutes(10)};
};

// What a person must do to finish a login the daemon started for a request: open `url` in
// a browser (the daemon has tried to open it already), or, for a device login, visit
// `verification_uri` and enter `user_code` (then `url`, when set, has the code already in
// it). Members the daemon did not send are empty.
struct LoginPrompt {
    std::string url;
    std::string verification_uri;
    std::string user_code;
};

// Exactly one of `profile` and `inline_config` must be set.
struct TokenRequest {
    // The name of a profile configured in the daemon.
    std::string profile = {};
    // Alternatively, a profile given inline: the text of a JSON object with the same
    // members as a profile in the daemon's config.json (secrets as values).
    std::string inline_config = {};
    // The token must stay valid at least this long; the daemon refreshes it otherwise.
    std::chrono::seconds min_ttl{0};
    // The caller can have a person sign in when only a login can produce a token; the
    // prompts reach on_prompt. Without it such a request fails with "login_required".
    bool interactive = false;
    // Renew the token even though the cached one is still valid.
    bool force_refresh = false;
    // The token the caller's API just refused (HTTP 401): the daemon renews it, unless it
    // already holds a newer one, which it returns instead.
    std::string rejected_token = {};
    // Told each login prompt while the call waits; called on the calling thread, inside
    // the call, possibly more than once. It must not use the same Client.
    std::function<void(const LoginPrompt&)> on_prompt = {};
};

struct LogoutResult {
    bool forgotten = false;  // the daemon held a grant for the profile, and dropped it
    bool revoked = false;    // the provider confirmed the revocation (RFC 7009)
    // Why the revocation failed, as "code: message"; empty when it succeeded or when the
    // profile has no revocation_url (then nothing was tried).
    std::string revocation_error;
};

struct AccessToken {
    std::string access_token;
    std::string token_type;       // normally "Bearer"
    std::int64_t expires_at = 0;  // Unix time, seconds, by the daemon's clock
    bool expiry_assumed = false;  // the provider gave no lifetime; expires_at is a default
    std::string scope;            // granted scopes, space-separated; may be empty
    std::string id_token;         // empty unless the provider issued one
    bool from_cache = false;      // the daemon answered without asking the provider

    // The value for an HTTP Authorization header, such as "Bearer eyJ...". The scheme is
    // "Bearer" when token_type is empty or any spelling of "bearer" (RFC 6749 §5.1 makes
    // it case-insensitive, RFC 6750 §2.1 spells it "Bearer"); other types are used as
    // given.
    std::string authorization_header() const;
};

// One configured profile, as the daemon lists it. No secret is included.
struct ProfileSummary {
    std::string name;
    std::string grant;
    std::string token_url;
    std::string client_id;
    std::vector<std::string> scopes;
    bool has_token = false;                  // a valid token is cached
    std::optional<std::int64_t> expires_at;  // that token's expiry, Unix time, seconds
};

struct DaemonStatus {
    std::string version;
    int protocol = 0;
    std::int64_t pid = 0;
    std::int64_t uptime_seconds = 0;
    std::int64_t profiles = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t provider_requests = 0;
    std::int64_t connections = 0;
    std::string token_store;
};

// A connection to the daemon, opened on the first call and kept for the ones after.
//
// Thread safety: a Client is not thread-safe; use one per thread (they are cheap: one
// socket each). Different Clients may be used concurrently.
// Lifetime: the socket is closed when the Client is destroyed. A Client may be moved,
// not copied; calls on a moved-from Client fail with "internal_error".
// Reconnection: when the daemon has closed the connection while it sat idle (it does
// after 10 minutes), the next call reconnects once, transparently. After a timeout or a
// malformed reply the connection is dropped, since a late reply could otherwise be taken
// for the answer to a later request; the next call connects afresh.
class Client {
public:
    explicit Client(ClientOptions options = {});
    Client(Client&& other) noexcept;
    Client& operator=(Client&& other) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client();

    // An access token for the request's profile, from the daemon's cache or freshly
    // obtained from the provider. Fails with "invalid_request", without contacting the
    // daemon, when not exactly one of profile and inline_config is set, when
    // inline_config is not a JSON object, or when min_ttl is negative; otherwise with the
    // daemon's error or a transport error (see Error). With request.interactive set, a
    // login the daemon runs for the request is reported to request.on_prompt and the call
    // waits up to ClientOptions::login_timeout; without it, "login_required".
    Result<AccessToken> get_token(const TokenRequest& request);

    // A new interactive login for the request's profile, even when a token is cached: the
    // daemon drops the grant it holds (without revoking it), has a person sign in and
    // returns the new token. Prompts reach request.on_prompt; `interactive` is implied.
    // Waits up to ClientOptions::login_timeout. Errors as get_token.
    Result<AccessToken> login(const TokenRequest& request);

    // Makes the daemon forget the grant for the request's profile (only profile and
    // inline_config are read) and revoke it at the provider when the profile has a
    // revocation_url. A revocation that fails is reported in the result, not as an error:
    // the daemon has forgotten the grant either way.
    Result<LogoutResult> logout(const TokenRequest& request);

    // Every profile the daemon has configured, in the daemon's order.
    Result<std::vector<ProfileSummary>> list();

    // The daemon's version and counters.
    Result<DaemonStatus> status();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One-shot convenience: connects, asks for a token for `profile`, and disconnects. Use a
// Client to ask several times over one connection.
Result<AccessToken> get_token(std::string_view profile, ClientOptions options = {});

}  // namespace vegha::client
