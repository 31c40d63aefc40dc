#include "store/grant_record.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "store/crypto.hpp"

namespace vegha::store {
namespace {

Error bad_record(std::string_view what) {
    return make_error(Errc::kStoreFailed, "stored grant record: " + std::string(what));
}

Result<std::string> string_field(const boost::json::object& object, std::string_view name,
                                 bool required) {
    const auto* value = object.if_contains(name);
    if (value == nullptr) {
        if (required) {
            return bad_record("missing field '" + std::string(name) + "'");
        }
        return std::string();
    }
    if (!value->is_string()) {
        return bad_record("field '" + std::string(name) + "' is not a string");
    }
    return std::string(value->get_string());
}

}  // namespace

std::string grant_id_for(std::string_view cache_key) {
    const auto digest = crypto::sha256(cache_key);
    std::string hex(digest.size() * 2, '0');
    constexpr std::string_view kDigits = "0123456789abcdef";
    for (std::size_t i = 0; i < digest.size(); ++i) {
        const auto byte = static_cast<unsigned char>(digest[i]);
        hex[2 * i] = kDigits[byte >> 4];
        hex[2 * i + 1] = kDigits[byte & 0x0f];
    }
    return hex;
}

boost::json::object to_json(const GrantRecord& record) {
    boost::json::object object;
    object["v"] = kGrantRecordVersion;
    object["id"] = record.id;
    object["profile"] = record.profile;
    object["access_token"] = record.access_token.reveal();
    object["refresh_token"] = record.refresh_token.reveal();
    object["id_token"] = record.id_token.reveal();
    object["token_type"] = record.token_type;
    object["expires_at"] = record.expires_at.time_since_epoch().count();
    object["scope"] = record.scope;
    object["issuer"] = record.issuer;
    object["token_endpoint"] = record.token_endpoint;
    object["client_id"] = record.client_id;
    return object;
}

Result<GrantRecord> from_json(const boost::json::value& value) {
    const auto* object = value.if_object();
    if (object == nullptr) {
        return bad_record("not a JSON object");
    }
    const auto* version = object->if_contains("v");
    if (version == nullptr || !version->is_int64()) {
        return bad_record("missing or non-integer version 'v'");
    }
    if (version->get_int64() != kGrantRecordVersion) {
        return bad_record("unsupported version " + std::to_string(version->get_int64()));
    }

    GrantRecord record;
    const auto* expires_at = object->if_contains("expires_at");
    if (expires_at == nullptr || !expires_at->is_int64()) {
        return bad_record("missing or non-integer field 'expires_at'");
    }
    record.expires_at = std::chrono::sys_seconds(std::chrono::seconds(expires_at->get_int64()));

    // Required: what identifies the grant and what makes it usable at all.
    struct Field {
        std::string_view name;
        bool required;
        std::string* text;
        Secret* secret;
    };
    const std::array<Field, 10> fields{{
        {"id", true, &record.id, nullptr},
        {"profile", false, &record.profile, nullptr},
        {"access_token", true, nullptr, &record.access_token},
        {"refresh_token", false, nullptr, &record.refresh_token},
        {"id_token", false, nullptr, &record.id_token},
        {"token_type", true, &record.token_type, nullptr},
        {"scope", false, &record.scope, nullptr},
        {"issuer", false, &record.issuer, nullptr},
        {"token_endpoint", true, &record.token_endpoint, nullptr},
        {"client_id", false, &record.client_id, nullptr},
    }};
    for (const auto& field : fields) {
        auto text = string_field(*object, field.name, field.required);
        if (!text) {
            return text.error();
        }
        if (field.secret != nullptr) {
            *field.secret = Secret(std::move(*text));
        } else {
            *field.text = std::move(*text);
        }
    }
    if (record.id.empty()) {
        return bad_record("empty field 'id'");
    }
    return record;
}

Secret serialise(const GrantRecord& record) {
    return Secret(boost::json::serialize(to_json(record)));
}

Result<GrantRecord> parse_grant_record(std::string_view json) {
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if (ec) {
        return bad_record("not valid JSON (" + ec.message() + ")");
    }
    return from_json(value);
}

}  // namespace vegha::store
