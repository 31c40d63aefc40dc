#include "oauth/token.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <charconv>
#include <cmath>

#include "oauth/form.hpp"

namespace vegha::oauth {
namespace json = boost::json;
namespace {

// The members of a token response, whichever encoding carried them.
struct Fields {
    std::optional<std::string> access_token;
    std::optional<std::string> token_type;
    std::optional<std::string> refresh_token;
    std::optional<std::string> id_token;
    std::optional<std::string> scope;
    std::optional<std::string> error;
    std::optional<std::string> error_description;
    // expires_in as sent: a JSON number or a string; checked in one place below.
    std::optional<json::value> expires_in;
};

bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '+' || c == '/' || c == '=';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string media_type(std::string_view content_type) {
    const auto end = content_type.find(';');
    std::string_view type = content_type.substr(0, end);
    while (!type.empty() && type.back() == ' ') {
        type.remove_suffix(1);
    }
    return lower(type);
}

std::optional<std::string> string_of(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value && value->is_string()) {
        return std::string(value->as_string());
    }
    return std::nullopt;
}

std::optional<Fields> fields_from_json(std::string_view body) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        return std::nullopt;
    }
    const json::object& o = parsed.as_object();
    Fields f{string_of(o, "access_token"),
             string_of(o, "token_type"),
             string_of(o, "refresh_token"),
             string_of(o, "id_token"),
             string_of(o, "scope"),
             string_of(o, "error"),
             string_of(o, "error_description"),
             std::nullopt};
    if (const auto* expires_in = o.if_contains("expires_in");
        expires_in && !expires_in->is_null()) {
        f.expires_in = *expires_in;
    }
    return f;
}

std::optional<Fields> fields_from_form(std::string_view body) {
    auto parsed = parse_form(body);
    if (!parsed) {
        return std::nullopt;
    }
    Fields f;
    for (auto& [key, value] : *parsed) {
        if (key == "access_token") {
            f.access_token = std::move(value);
        } else if (key == "token_type") {
            f.token_type = std::move(value);
        } else if (key == "refresh_token") {
            f.refresh_token = std::move(value);
        } else if (key == "id_token") {
            f.id_token = std::move(value);
        } else if (key == "scope") {
            f.scope = std::move(value);
        } else if (key == "error") {
            f.error = std::move(value);
        } else if (key == "error_description") {
            f.error_description = std::move(value);
        } else if (key == "expires_in") {
            f.expires_in = json::value(json::string(value));
        }
    }
    if (!f.access_token && !f.error) {
        return std::nullopt;
    }
    return f;
}

// expires_in is a number of seconds (RFC 6749 §5.1); providers also send it as a string
// ("3599") or a float. nullopt: absent or unusable, so the lifetime is unknown.
std::optional<double> seconds_of(const json::value& value) {
    double seconds = -1;
    if (value.is_int64()) {
        seconds = static_cast<double>(value.as_int64());
    } else if (value.is_uint64()) {
        seconds = static_cast<double>(value.as_uint64());
    } else if (value.is_double()) {
        seconds = value.as_double();
    } else if (value.is_string()) {
        const std::string_view text = value.as_string();
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (ec != std::errc() || end != text.data() + text.size()) {
            return std::nullopt;
        }
    }
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 10.0 * 365 * 86400) {
        return std::nullopt;
    }
    return seconds;
}

Error not_a_token_response(const HttpResponse& response, std::string_view why) {
    Error e = make_error(Errc::kInvalidTokenResponse,
                         std::string(why) + " (HTTP " + std::to_string(response.status) +
                             ", content type \"" + response.content_type + "\", body begins \"" +
                             redacted_prefix(response.body) + "\")");
    e.http_status = response.status;
    return e;
}

}  // namespace

std::string redacted_prefix(std::string_view body, std::size_t max_chars) {
    // Whole runs of token characters are judged before any of them is copied, so a long
    // run (likely a credential) is blanked even where the prefix limit cuts through it.
    constexpr std::size_t kLongRun = 16;
    std::string out;
    std::size_t i = 0;
    while (i < body.size() && out.size() < max_chars) {
        if (!is_token_char(body[i])) {
            out += std::isprint(static_cast<unsigned char>(body[i])) ? body[i] : ' ';
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < body.size() && is_token_char(body[end])) {
            ++end;
        }
        if (end - i >= kLongRun) {
            out += "[redacted]";
        } else {
            out.append(body.substr(i, std::min(end - i, max_chars - out.size())));
        }
        i = end;
    }
    return out;
}

Result<Token> parse_token_response(const HttpResponse& response,
                                   const TokenResponseContext& context) {
    const std::string type = media_type(response.content_type);
    std::optional<Fields> fields;
    if (type == "application/x-www-form-urlencoded" || type == "text/plain") {
        fields = fields_from_form(response.body);
    }
    if (!fields) {
        // JSON is what RFC 6749 §5.1 requires; it is tried for any other content type too,
        // since providers label it loosely (text/javascript, application/jwt+json, none).
        fields = fields_from_json(response.body);
    }
    if (!fields) {
        return not_a_token_response(response,
                                    "the token endpoint's answer is not a token "
                                    "response");
    }

    // RFC 6749 §5.2: an `error` member is a refusal whatever the HTTP status says.
    if (fields->error) {
        Error e = make_error(Errc::kIdpError, "the provider refused: " + *fields->error +
                                                  (fields->error_description
                                                       ? " (" + *fields->error_description + ")"
                                                       : std::string()));
        e.idp_error = *fields->error;
        e.idp_error_description = fields->error_description.value_or("");
        e.http_status = response.status;
        return e;
    }
    if (response.status < 200 || response.status > 299) {
        return not_a_token_response(response, "the token endpoint failed without an OAuth error");
    }
    if (!fields->access_token || fields->access_token->empty()) {
        return not_a_token_response(response, "the token response has no access_token");
    }
    if (!fields->token_type || fields->token_type->empty()) {
        return not_a_token_response(response, "the token response has no token_type");
    }

    Token token;
    token.access_token = Secret(std::move(*fields->access_token));
    // RFC 6749 §5.1: the type is case-insensitive; "Bearer" is how RFC 6750 writes it.
    token.token_type = lower(*fields->token_type) == "bearer" ? "Bearer" : *fields->token_type;
    if (fields->refresh_token && !fields->refresh_token->empty()) {
        token.refresh_token = Secret(std::move(*fields->refresh_token));
    }
    if (fields->id_token && !fields->id_token->empty()) {
        token.id_token = Secret(std::move(*fields->id_token));
    }
    token.scope = fields->scope ? ScopeSet::parse(*fields->scope) : context.requested;

    std::optional<double> seconds;
    if (fields->expires_in) {
        seconds = seconds_of(*fields->expires_in);
    }
    if (seconds) {
        token.lifetime =
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*seconds));
    } else {
        token.lifetime = context.default_lifetime;
        token.lifetime_assumed = true;
    }
    token.expires_at = context.sent_at + token.lifetime;
    return token;
}

}  // namespace vegha::oauth
