#include "daemon/broker.hpp"

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/log.hpp"
#include "daemon/revocation.hpp"
#include "proto/protocol.hpp"

namespace vegha::daemon {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

std::int64_t unix_seconds(oauth::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Result<std::chrono::seconds> read_min_ttl(const json::object& params) {
    const auto* value = params.if_contains("min_ttl");
    if (!value || value->is_null()) {
        return std::chrono::seconds(0);
    }
    if (!value->is_int64() || value->as_int64() < 0 || value->as_int64() > 86400) {
        return make_error(Errc::kInvalidRequest,
                          "\"min_ttl\" must be a whole number of seconds from 0 to 86400");
    }
    return std::chrono::seconds(value->as_int64());
}

Result<bool> read_flag(const json::object& params, std::string_view name) {
    const auto* value = params.if_contains(name);
    if (!value || value->is_null()) {
        return false;
    }
    if (!value->is_bool()) {
        return make_error(Errc::kInvalidRequest, "\"" + std::string(name) + "\" must be a boolean");
    }
    return value->as_bool();
}

// The get_token params besides the profile (proto/PROTOCOL.md).
Result<oauth::TokenOptions> read_token_options(const json::object& params) {
    oauth::TokenOptions options;
    auto min_ttl = read_min_ttl(params);
    auto interactive = read_flag(params, "interactive");
    auto force_refresh = read_flag(params, "force_refresh");
    for (const auto* read : {&interactive, &force_refresh}) {
        if (!*read) {
            return read->error();
        }
    }
    if (!min_ttl) {
        return min_ttl.error();
    }
    options.min_ttl = *min_ttl;
    options.interactive = *interactive;
    options.force_refresh = *force_refresh;

    if (const auto* rejected = params.if_contains("rejected_token");
        rejected && !rejected->is_null()) {
        if (!rejected->is_string()) {
            return make_error(Errc::kInvalidRequest, "\"rejected_token\" must be a string");
        }
        options.rejected_token = std::string(rejected->as_string());
    }
    return options;
}

// The URL as it may appear in a log line: scheme, host and path, never a query.
std::string loggable(const boost::urls::url& url) {
    if (url.empty()) {
        return "(from discovery)";
    }
    return std::string(url.scheme()) + "://" + std::string(url.encoded_host_and_port()) +
           std::string(url.encoded_path());
}

}  // namespace

std::string render_token_result(const oauth::Token& token) {
    json::object result{
        {"access_token", token.access_token.reveal()},
        {"token_type", token.token_type},
        {"expires_at", unix_seconds(token.expires_at)},
        {"expiry_assumed", token.lifetime_assumed},
        {"scope", token.scope.to_string()},
    };
    if (!token.id_token.empty()) {
        result["id_token"] = token.id_token.reveal();
    }
    return json::serialize(result);
}

Broker::Broker(asio::any_io_executor executor, Config config, oauth::HttpClientOptions http_options,
               oauth::Now now, GrantStorage storage, LoginSettings login)
    : config_(std::move(config)),
      now_(std::move(now)),
      http_(executor, std::move(http_options)),
      token_client_(http_, now_),
      tokens_(executor, token_client_, now_, render_token_result,
              oauth::TokenServiceOptions{
                  .persistence = storage.persistence,
                  .login = make_login_runner(http_, now_, std::move(login)),
              }),
      discovery_(http_, now_),
      describe_storage_(std::move(storage.describe)),
      log_(vegha::log::logger("daemon")) {
    for (const auto& [name, profile] : config_.profiles) {
        profile_keys_.emplace(name, oauth::cache_key(profile));
    }
}

void Broker::set_connection_counter(std::function<std::size_t()> counter) {
    connections_ = std::move(counter);
}

asio::awaitable<std::string> Broker::handle(std::string body, const ipc::ConnectionInfo& conn) {
    auto request = proto::decode_request(body);
    if (!request) {
        log_->warn("conn {}: {}", conn.id, request.error().message);
        co_return proto::encode_error(std::nullopt, request.error());
    }
    const std::string tag = "conn " + std::to_string(conn.id) + " req " +
                            (request->id ? std::to_string(*request->id) : std::string("?"));
    auto operation = proto::check_envelope(*request);
    if (!operation) {
        log_->warn("{}: {}", tag, operation.error().message);
        co_return proto::encode_error(request->id, operation.error());
    }
    switch (*operation) {
        case proto::Operation::kGetToken:
            co_return co_await get_token(*request, conn, tag, false);
        case proto::Operation::kLogin:
            co_return co_await get_token(*request, conn, tag, true);
        case proto::Operation::kLogout:
            co_return co_await logout(*request, tag);
        case proto::Operation::kList:
            co_return list(*request);
        case proto::Operation::kStatus:
            co_return status(*request);
    }
    co_return proto::encode_error(request->id, make_error(Errc::kInternal, "unhandled operation"));
}

struct Broker::Target {
    const oauth::Profile* profile = nullptr;
    std::string key;
    std::optional<oauth::Profile> inline_profile;  // owns the profile when it came inline

    std::string label() const { return profile->name.empty() ? "(inline)" : profile->name; }
};

Result<void> Broker::find_profile(const json::object& params, Target& target) const {
    const auto* name = params.if_contains("profile");
    const auto* inline_config = params.if_contains("config");
    if ((name != nullptr) == (inline_config != nullptr)) {
        return make_error(Errc::kInvalidRequest, "give exactly one of \"profile\" and \"config\"");
    }
    if (name) {
        if (!name->is_string()) {
            return make_error(Errc::kInvalidRequest, "\"profile\" must be a string");
        }
        const auto it = config_.profiles.find(std::string(name->as_string()));
        if (it == config_.profiles.end()) {
            return make_error(
                Errc::kUnknownProfile,
                "no profile named \"" + std::string(name->as_string()) + "\" is configured");
        }
        target.profile = &it->second;
        target.key = profile_keys_.at(it->first);
        return {};
    }
    if (!inline_config->is_object()) {
        return make_error(Errc::kInvalidRequest, "\"config\" must be an object");
    }
    // An inline profile may not name environment variables, nor a program to run as the
    // browser: those are the daemon's.
    oauth::ParseOptions options;
    options.allow_browser_command = false;
    auto parsed = oauth::parse_profile(inline_config->as_object(), "", options);
    if (!parsed) {
        return parsed.error();
    }
    target.inline_profile = std::move(*parsed);
    target.profile = &*target.inline_profile;
    target.key = oauth::cache_key(*target.profile);
    return {};
}

asio::awaitable<Result<void>> Broker::resolve(const json::object& params, Target& target) {
    if (auto found = find_profile(params, target); !found) {
        co_return found.error();
    }
    // The common case, and the hot path: nothing to discover, nothing copied.
    if (!oauth::needs_discovery(*target.profile)) {
        co_return Result<void>();
    }
    auto completed = co_await discovery_.complete(*target.profile);
    if (!completed) {
        co_return completed.error();
    }
    if (completed->token_url != target.profile->token_url ||
        completed->authorization_url != target.profile->authorization_url) {
        target.inline_profile = std::move(*completed);
        target.profile = &*target.inline_profile;
    }
    co_return Result<void>();
}

asio::awaitable<std::string> Broker::get_token(const proto::Request& request,
                                               const ipc::ConnectionInfo& conn,
                                               const std::string& tag, bool login) {
    const char* op = login ? "login" : "get_token";
    const auto fail = [&](const Error& error) {
        log_->warn("{}: {} failed: {}: {}", tag, op, errc_name(error.code), error.message);
        return proto::encode_error(request.id, error);
    };

    Target target;
    auto resolved = co_await resolve(request.params, target);
    if (!resolved) {
        co_return fail(resolved.error());
    }
    auto options = read_token_options(request.params);
    if (!options) {
        co_return fail(options.error());
    }
    if (login) {
        // A new sign-in, not a refresh. The grant held so far serves other callers until
        // the new one replaces it; it is not revoked (logout does that).
        options->interactive = true;
        options->force_login = true;
    }
    if (options->interactive) {
        // Each waiting caller hears of the login on its own connection, ahead of its reply.
        options->on_prompt = [send = conn.send_event, id = request.id.value_or(0), tag,
                              log = log_](const oauth::LoginPrompt& prompt) {
            log->info("{}: login prompt sent to the caller", tag);
            if (send) {
                send(proto::encode_login_prompt(
                    id, {prompt.url, prompt.verification_uri, prompt.user_code}));
            }
        };
    }

    const auto& profile = *target.profile;
    auto lease = co_await tokens_.get_token(profile, target.key, std::move(*options));
    if (!lease) {
        co_return fail(lease.error());
    }
    const auto& token = lease->entry->token;
    // A cache hit is the hot path and the common case: its line is debug detail, and its
    // arguments are not even computed at the default level.
    const auto level = lease->from_cache ? spdlog::level::debug : spdlog::level::info;
    if (log_->should_log(level)) {
        const auto left =
            std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - now_());
        log_->log(level, "{}: token for {} ({} at {}, client {}) {}, expires in {}s, fp {}", tag,
                  target.label(), oauth::grant_type_name(profile.grant),
                  loggable(profile.token_url), profile.client_id.value,
                  lease->from_cache ? "from cache" : "from provider", left.count(),
                  token.access_token.fingerprint());
    }
    co_return proto::encode_result(request.id, lease->entry->rendered, lease->from_cache);
}

asio::awaitable<std::string> Broker::logout(const proto::Request& request, const std::string& tag) {
    const auto fail = [&](const Error& error) {
        log_->warn("{}: logout failed: {}: {}", tag, errc_name(error.code), error.message);
        return proto::encode_error(request.id, error);
    };
    Target target;
    auto resolved = co_await resolve(request.params, target);
    if (!resolved) {
        co_return fail(resolved.error());
    }
    auto forgotten = co_await tokens_.forget(target.key);
    if (!forgotten) {
        co_return fail(forgotten.error());
    }

    json::object result{{"forgotten", forgotten->has_value()}, {"revoked", false}};
    const auto& profile = *target.profile;
    if (*forgotten && profile.revocation_url) {
        // RFC 7009 §2.1: revoking the refresh token ends the whole grant at most providers;
        // without one, the access token is all there is to revoke.
        const oauth::Token& token = **forgotten;
        const bool refresh = !token.refresh_token.empty();
        const Secret& value = refresh ? token.refresh_token : token.access_token;
        auto revoked = co_await revoke_token(
            http_, profile, value, refresh ? TokenKind::kRefreshToken : TokenKind::kAccessToken);
        if (revoked) {
            result["revoked"] = true;
        } else {
            log_->warn("{}: logout of {}: revocation failed: {}", tag, target.label(),
                       revoked.error().message);
            result["revocation_error"] = json::object{{"code", errc_name(revoked.error().code)},
                                                      {"message", revoked.error().message}};
        }
    }
    log_->info("{}: logout of {}: {}, {}", tag, target.label(),
               *forgotten ? "grant forgotten" : "no grant held",
               result["revoked"].as_bool() ? "revoked at the provider" : "not revoked");
    co_return proto::encode_result(request.id, result);
}

std::string Broker::list(const proto::Request& request) const {
    json::array profiles;
    const auto now = now_();
    for (const auto& [name, profile] : config_.profiles) {
        json::array scopes;
        for (const auto& scope : profile.scopes.items()) {
            scopes.emplace_back(scope);
        }
        json::object item{
            {"name", name},
            {"grant", oauth::grant_type_name(profile.grant)},
            {"token_url", loggable(profile.token_url)},
            {"client_id", profile.client_id.value},
            {"scopes", std::move(scopes)},
            {"has_token", false},
        };
        if (auto entry = tokens_.cache().peek(profile_keys_.at(name));
            entry && entry->token.expires_at > now) {
            item["has_token"] = true;
            item["expires_at"] = unix_seconds(entry->token.expires_at);
        }
        profiles.emplace_back(std::move(item));
    }
    return proto::encode_result(request.id, json::object{{"profiles", std::move(profiles)}});
}

std::string Broker::status(const proto::Request& request) const {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started_);
    json::object result{
        {"version", "0.1.0"},
        {"protocol", proto::kVersion},
        {"pid", static_cast<std::int64_t>(::getpid())},
        {"uptime_seconds", uptime.count()},
        {"profiles", config_.profiles.size()},
        {"cached_tokens", tokens_.cache().size()},
        {"provider_requests", http_.requests_sent()},
        {"connections", connections_ ? connections_() : 0},
        {"token_store", describe_storage_ ? describe_storage_() : std::string("memory")},
    };
    return proto::encode_result(request.id, result);
}

}  // namespace vegha::daemon
