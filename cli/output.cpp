#include "cli/output.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <ostream>

namespace vegha::cli {
namespace json = boost::json;

namespace {

constexpr std::time_t kOneDay = 24 * 60 * 60;

std::string local_time(std::time_t when, const char* format) {
    std::tm parts{};
    if (::localtime_r(&when, &parts) == nullptr) {
        return std::to_string(when);
    }
    std::array<char, 64> text{};
    const std::size_t size = std::strftime(text.data(), text.size(), format, &parts);
    return std::string(text.data(), size);
}

void print_table(std::ostream& out, const std::vector<client::ProfileSummary>& profiles,
                 std::time_t now) {
    using Row = std::array<std::string, 4>;
    std::vector<Row> rows{{"NAME", "GRANT", "CLIENT", "TOKEN"}};
    for (const auto& profile : profiles) {
        rows.push_back({printable(profile.name), printable(profile.grant),
                        printable(profile.client_id), token_column(profile, now)});
    }

    std::array<std::size_t, 3> widths{};
    for (const Row& row : rows) {
        for (std::size_t i = 0; i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    for (const Row& row : rows) {
        for (std::size_t i = 0; i < widths.size(); ++i) {
            out << row[i] << std::string(widths[i] - row[i].size() + 2, ' ');
        }
        out << row[3] << '\n';
    }
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            c = '?';
        }
    }
    return out;
}

std::string token_column(const client::ProfileSummary& profile, std::time_t now) {
    if (!profile.has_token) {
        return "none";
    }
    if (!profile.expires_at) {
        return "valid";
    }
    const auto expires = static_cast<std::time_t>(*profile.expires_at);
    // A bare time of day would be ambiguous for a token that outlives tomorrow.
    const char* format = expires - now < kOneDay ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S";
    return "valid until " + local_time(expires, format);
}

void print_token(std::ostream& out, const client::AccessToken& token, TokenFormat format) {
    switch (format) {
        case TokenFormat::kToken:
            out << token.access_token << '\n';
            return;
        case TokenFormat::kHeader:
            out << "Authorization: " << token.authorization_header() << '\n';
            return;
        case TokenFormat::kJson: {
            json::object object{{"access_token", token.access_token},
                                {"token_type", token.token_type},
                                {"expires_at", token.expires_at},
                                {"expiry_assumed", token.expiry_assumed},
                                {"scope", token.scope}};
            if (!token.id_token.empty()) {
                object["id_token"] = token.id_token;
            }
            object["cached"] = token.from_cache;
            out << json::serialize(object) << '\n';
            return;
        }
    }
}

void print_profiles(std::ostream& out, const std::vector<client::ProfileSummary>& profiles,
                    ListFormat format, std::time_t now) {
    if (format == ListFormat::kTable) {
        print_table(out, profiles, now);
        return;
    }
    json::array array;
    for (const auto& profile : profiles) {
        json::array scopes(profile.scopes.begin(), profile.scopes.end());
        json::object object{{"name", profile.name},           {"grant", profile.grant},
                            {"token_url", profile.token_url}, {"client_id", profile.client_id},
                            {"scopes", std::move(scopes)},    {"has_token", profile.has_token}};
        if (profile.expires_at) {
            object["expires_at"] = *profile.expires_at;
        }
        array.push_back(std::move(object));
    }
    out << json::serialize(json::object{{"profiles", std::move(array)}}) << '\n';
}

void print_status(std::ostream& out, const client::DaemonStatus& status, StatusFormat format) {
    if (format == StatusFormat::kJson) {
        const json::object object{{"version", status.version},
                                  {"protocol", status.protocol},
                                  {"pid", status.pid},
                                  {"uptime_seconds", status.uptime_seconds},
                                  {"profiles", status.profiles},
                                  {"cached_tokens", status.cached_tokens},
                                  {"provider_requests", status.provider_requests},
                                  {"connections", status.connections},
                                  {"token_store", status.token_store}};
        out << json::serialize(object) << '\n';
        return;
    }
    out << "version:            " << printable(status.version) << '\n'
        << "protocol:           " << status.protocol << '\n'
        << "pid:                " << status.pid << '\n'
        << "uptime:             " << status.uptime_seconds << " s\n"
        << "profiles:           " << status.profiles << '\n'
        << "cached tokens:      " << status.cached_tokens << '\n'
        << "provider requests:  " << status.provider_requests << '\n'
        << "connections:        " << status.connections << '\n'
        << "token store:        " << printable(status.token_store) << '\n';
}

void print_login_prompt(std::ostream& out, const client::LoginPrompt& prompt) {
    if (!prompt.user_code.empty()) {
        out << "To log in, visit " << printable(prompt.verification_uri) << " and enter code "
            << printable(prompt.user_code) << '\n';
        if (!prompt.url.empty()) {
            out << "(or open " << printable(prompt.url) << ")\n";
        }
    } else {
        out << "Opening your browser to log in\u2026 If it does not open, visit:\n  "
            << printable(prompt.url) << '\n';
    }
    out << "Waiting for the login to finish\u2026" << std::endl;
}

void print_logout(std::ostream& out, const std::string& profile,
                  const client::LogoutResult& result) {
    out << printable(profile) << ": " << (result.forgotten ? "logged out" : "was not logged in");
    if (result.revoked) {
        out << "; the provider revoked the grant";
    } else if (!result.revocation_error.empty()) {
        out << "; revoking at the provider failed: " << printable(result.revocation_error);
    }
    out << '\n';
}

void print_error(std::ostream& out, const client::Error& error) {
    out << "vegha-token: " << printable(error.code) << ": "
        << printable(error.message.empty() ? "(no message)" : error.message) << '\n';
    if (error.idp_error.empty() && error.idp_error_description.empty()) {
        return;
    }
    out << "vegha-token: the provider said: " << printable(error.idp_error);
    if (!error.idp_error_description.empty()) {
        out << ": " << printable(error.idp_error_description);
    }
    if (error.http_status != 0) {
        out << " (HTTP " << error.http_status << ")";
    }
    out << '\n';
}

}  // namespace vegha::cli
