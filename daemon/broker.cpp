#include "daemon/broker.hpp"

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/log.hpp"
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

// The URL as it may appear in a log line: scheme, host and path, never a query.
std::string loggable(const boost::urls::url& url) {
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

Broker::Broker(asio::any_io_executor executor, Config config,
               oauth::HttpClientOptions http_options, oauth::Now now)
    : config_(std::move(config)),
      now_(std::move(now)),
      http_(executor, std::move(http_options)),
      token_client_(http_, now_),
      tokens_(executor, token_client_, now_, render_token_result),
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
            co_return co_await get_token(*request, tag);
        case proto::Operation::kList:
            co_return list(*request);
        case proto::Operation::kStatus:
            co_return status(*request);
    }
    co_return proto::encode_error(request->id, make_error(Errc::kInternal, "unhandled operation"));
}

asio::awaitable<std::string> Broker::get_token(const proto::Request& request,
                                               const std::string& tag) {
    const auto fail = [&](const Error& error) {
        log_->warn("{}: get_token failed: {}: {}", tag, errc_name(error.code), error.message);
        return proto::encode_error(request.id, error);
    };

    const auto* name = request.params.if_contains("profile");
    const auto* inline_config = request.params.if_contains("config");
    if ((name != nullptr) == (inline_config != nullptr)) {
        co_return fail(make_error(Errc::kInvalidRequest,
                                  "give exactly one of \"profile\" and \"config\""));
    }
    auto min_ttl = read_min_ttl(request.params);
    if (!min_ttl) {
        co_return fail(min_ttl.error());
    }

    const oauth::Profile* profile = nullptr;
    std::string key;
    std::optional<oauth::Profile> inline_profile;
    if (name) {
        if (!name->is_string()) {
            co_return fail(make_error(Errc::kInvalidRequest, "\"profile\" must be a string"));
        }
        const auto it = config_.profiles.find(std::string(name->as_string()));
        if (it == config_.profiles.end()) {
            co_return fail(make_error(Errc::kUnknownProfile,
                                      "no profile named \"" + std::string(name->as_string()) +
                                          "\" is configured"));
        }
        profile = &it->second;
        key = profile_keys_.at(it->first);
    } else {
        if (!inline_config->is_object()) {
            co_return fail(make_error(Errc::kInvalidRequest, "\"config\" must be an object"));
        }
        // An inline profile may not name environment variables: those are the daemon's.
        auto parsed = oauth::parse_profile(inline_config->as_object(), "", oauth::ParseOptions{});
        if (!parsed) {
            co_return fail(parsed.error());
        }
        inline_profile = std::move(*parsed);
        profile = &*inline_profile;
        key = oauth::cache_key(*profile);
    }

    const std::string label = profile->name.empty() ? "(inline)" : profile->name;
    auto lease = co_await tokens_.get_token(*profile, key, oauth::TokenOptions{*min_ttl});
    if (!lease) {
        co_return fail(lease.error());
    }
    const auto& token = lease->entry->token;
    // A cache hit is the hot path and the common case: its line is debug detail, and its
    // arguments are not even computed at the default level.
    const auto level = lease->from_cache ? spdlog::level::debug : spdlog::level::info;
    if (log_->should_log(level)) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - now_());
        log_->log(level, "{}: token for {} ({} at {}, client {}) {}, expires in {}s, fp {}", tag,
                  label, oauth::grant_type_name(profile->grant), loggable(profile->token_url),
                  profile->client_id.value, lease->from_cache ? "from cache" : "from provider",
                  left.count(), token.access_token.fingerprint());
    }
    co_return proto::encode_result(request.id, lease->entry->rendered, lease->from_cache);
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
        // TODO: tokens live only in memory until the OS keystore backends exist; a restart
        // of the daemon means new requests to the provider.
        {"token_store", "memory"},
    };
    return proto::encode_result(request.id, result);
}

}  // namespace vegha::daemon
