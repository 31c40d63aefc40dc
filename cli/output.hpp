#pragma once

// What vegha-token writes. Each function takes its stream, and the list takes the current
// time, so the formats can be checked without a daemon or a clock.

#include <ctime>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "vegha/client.hpp"

namespace vegha::cli {

enum class TokenFormat { kToken, kHeader, kJson };
enum class ListFormat { kTable, kJson };
enum class StatusFormat { kText, kJson };

// kToken: the bare token and a newline, so `$(vegha-token get x)` is the token.
// kHeader: "Authorization: Bearer <token>". kJson: one JSON object on one line.
void print_token(std::ostream& out, const client::AccessToken& token, TokenFormat format);

void print_profiles(std::ostream& out, const std::vector<client::ProfileSummary>& profiles,
                    ListFormat format, std::time_t now);

void print_status(std::ostream& out, const client::DaemonStatus& status, StatusFormat format);

// What a person must do to finish a login, for standard error: the URL the daemon opened in
// the browser, or the device login's URI and code; then a line saying the command waits.
void print_login_prompt(std::ostream& out, const client::LoginPrompt& prompt);

// The result of `logout`, one line.
void print_logout(std::ostream& out, const std::string& profile,
                  const client::LogoutResult& result);

// "vegha-token: <code>: <message>", and for a provider's refusal a second line with its
// own error, description and HTTP status.
void print_error(std::ostream& out, const client::Error& error);

// The TOKEN column of the list table: "none", or "valid until HH:MM:SS" in local time,
// with the date in front when the expiry is not within the next day.
std::string token_column(const client::ProfileSummary& profile, std::time_t now);

// The text with control characters replaced by '?': messages come from the daemon and
// from identity providers, and an escape sequence in one must not reach the terminal.
std::string printable(std::string_view text);

}  // namespace vegha::cli
