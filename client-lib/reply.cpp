#include "client-lib/reply.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "client-lib/connection.hpp"
#include "core/error.hpp"
#include "proto/protocol.hpp"

namespace vegha::client::detail {
namespace json = boost::json;

namespace {

// Boost.JSON stores an integer as int64 unless it only fits in uint64.
std::optional<std::int64_t> as_int64(const json::value& value) {
    if (value.is_int64()) {
        return value.as_int64();
    }
    if (value.is_uint64() && value.as_uint64() <= std::numeric_limits<std::int64_t>::max()) {
        return static_cast<std::int64_t>(value.as_uint64());
    }
    return std::nullopt;
}

Error mismatched_id(std::string_view got, std::uint64_t expected) {
    return make_error(kMalformedFrame, "the daemon answered request " + std::string(got) +
                                           " while request " + std::to_string(expected) +
                                           " was waiting");
}

// Reads members of one result object, remembering the first that is missing or of the
// wrong type. An absent or null optional member leaves its output untouched.
class FieldReader {
public:
    FieldReader(const json::object& object, std::string_view what) : object_(object), what_(what) {}

    void text(std::string_view key, std::string& out, bool required = false) {
        if (const json::value* value = find(key, required)) {
            if (value->is_string()) {
                out = std::string(value->as_string());
            } else {
                fail(key);
            }
        }
    }

    void integer(std::string_view key, std::int64_t& out, bool required = false) {
        if (const json::value* value = find(key, required)) {
            if (auto number = as_int64(*value)) {
                out = *number;
            } else {
                fail(key);
            }
        }
    }

    void integer(std::string_view key, std::optional<std::int64_t>& out) {
        if (const json::value* value = find(key, false)) {
            if (auto number = as_int64(*value)) {
                out = *number;
            } else {
                fail(key);
            }
        }
    }

    void boolean(std::string_view key, bool& out) {
        if (const json::value* value = find(key, false)) {
            if (value->is_bool()) {
                out = value->as_bool();
            } else {
                fail(key);
            }
        }
    }

    void text_list(std::string_view key, std::vector<std::string>& out) {
        const json::value* value = find(key, false);
        if (value == nullptr) {
            return;
        }
        if (!value->is_array()) {
            fail(key);
            return;
        }
        for (const json::value& item : value->as_array()) {
            if (!item.is_string()) {
                fail(key);
                return;
            }
            out.emplace_back(item.as_string());
        }
    }

    const std::optional<Error>& error() const { return error_; }

private:
    const json::value* find(std::string_view key, bool required) {
        const json::value* value = object_.if_contains(key);
        if (value == nullptr || value->is_null()) {
            if (required) {
                fail(key);
            }
            return nullptr;
        }
        return value;
    }

    void fail(std::string_view key) {
        if (!error_) {
            error_ = make_error(kMalformedFrame, "the daemon's " + std::string(what_) +
                                                     " has a missing or invalid \"" +
                                                     std::string(key) + "\"");
        }
    }

    const json::object& object_;
    std::string_view what_;
    std::optional<Error> error_;
};

// proto::decode_reply keeps neither the id of an error reply nor the spelling of a code
// newer than this library, and both matter here, so an error reply is read a second time.
// Error replies are small; success replies, which carry tokens, are parsed once.
Error daemon_error(std::string_view body, const vegha::Error& decoded, std::uint64_t expected_id) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    const json::object* object = ec ? nullptr : parsed.if_object();
    const json::value* ok = object ? object->if_contains("ok") : nullptr;
    const json::value* error = object ? object->if_contains("error") : nullptr;
    if (ok == nullptr || !ok->is_bool() || ok->as_bool() || error == nullptr ||
        !error->is_object()) {
        return make_error(kMalformedFrame, "invalid reply from the daemon: " + decoded.message);
    }

    // A null id means the daemon could not read the request. This client has one request
    // in flight at a time, so that answer is for it.
    if (const json::value* id = object->if_contains("id"); id != nullptr && !id->is_null()) {
        const auto number = as_int64(*id);
        if (!number || *number < 0 || static_cast<std::uint64_t>(*number) != expected_id) {
            return mismatched_id(json::serialize(*id), expected_id);
        }
    }

    Error out{std::string(errc_name(decoded.code)), decoded.message, decoded.idp_error,
              decoded.idp_error_description, decoded.http_status};
    if (const json::value* code = error->as_object().if_contains("code");
        code != nullptr && code->is_string() && !code->as_string().empty()) {
        out.code = std::string(code->as_string());
    }
    return out;
}

}  // namespace

Result<Answer> decode_answer(std::string_view body, std::uint64_t expected_id) {
    auto reply = proto::decode_reply(body);
    if (!reply) {
        return daemon_error(body, reply.error(), expected_id);
    }
    if (reply->id != expected_id) {
        return mismatched_id(reply->id ? std::to_string(*reply->id) : "null", expected_id);
    }
    return Answer{std::move(reply->result), reply->cached};
}

Result<AccessToken> decode_token(const Answer& answer) {
    AccessToken token;
    FieldReader reader(answer.result, "token result");
    reader.text("access_token", token.access_token, true);
    reader.text("token_type", token.token_type);
    reader.integer("expires_at", token.expires_at, true);
    reader.boolean("expiry_assumed", token.expiry_assumed);
    reader.text("scope", token.scope);
    reader.text("id_token", token.id_token);
    if (reader.error()) {
        wipe(token.access_token);
        wipe(token.id_token);
        return *reader.error();
    }
    if (token.access_token.empty()) {
        return make_error(kMalformedFrame, "the daemon's token result has an empty access_token");
    }
    token.from_cache = answer.cached;
    return token;
}

Result<std::vector<ProfileSummary>> decode_profiles(const Answer& answer) {
    const json::value* profiles = answer.result.if_contains("profiles");
    if (profiles == nullptr || !profiles->is_array()) {
        return make_error(kMalformedFrame, "the daemon's list result has no \"profiles\" array");
    }

    std::vector<ProfileSummary> out;
    out.reserve(profiles->as_array().size());
    for (const json::value& item : profiles->as_array()) {
        if (!item.is_object()) {
            return make_error(kMalformedFrame, "a list entry from the daemon is not an object");
        }
        ProfileSummary summary;
        FieldReader reader(item.as_object(), "list entry");
        reader.text("name", summary.name, true);
        reader.text("grant", summary.grant);
        reader.text("token_url", summary.token_url);
        reader.text("client_id", summary.client_id);
        reader.text_list("scopes", summary.scopes);
        reader.boolean("has_token", summary.has_token);
        reader.integer("expires_at", summary.expires_at);
        if (reader.error()) {
            return *reader.error();
        }
        out.push_back(std::move(summary));
    }
    return out;
}

Result<DaemonStatus> decode_status(const Answer& answer) {
    DaemonStatus status;
    std::int64_t protocol = 0;
    FieldReader reader(answer.result, "status result");
    reader.text("version", status.version);
    reader.integer("protocol", protocol);
    reader.integer("pid", status.pid);
    reader.integer("uptime_seconds", status.uptime_seconds);
    reader.integer("profiles", status.profiles);
    reader.integer("cached_tokens", status.cached_tokens);
    reader.integer("provider_requests", status.provider_requests);
    reader.integer("connections", status.connections);
    reader.text("token_store", status.token_store);
    if (reader.error()) {
        return *reader.error();
    }
    if (protocol < 0 || protocol > std::numeric_limits<int>::max()) {
        return make_error(kMalformedFrame, "the daemon's status has an invalid \"protocol\"");
    }
    status.protocol = static_cast<int>(protocol);
    return status;
}

Result<LogoutResult> decode_logout(const Answer& answer) {
    LogoutResult out;
    FieldReader reader(answer.result, "logout result");
    reader.boolean("forgotten", out.forgotten);
    reader.boolean("revoked", out.revoked);
    if (reader.error()) {
        return *reader.error();
    }
    if (const json::value* error = answer.result.if_contains("revocation_error");
        error != nullptr && error->is_object()) {
        std::string code;
        std::string message;
        FieldReader details(error->as_object(), "revocation error");
        details.text("code", code);
        details.text("message", message);
        out.revocation_error = code + ": " + message;
    }
    return out;
}

}  // namespace vegha::client::detail
