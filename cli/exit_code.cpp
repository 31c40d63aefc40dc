#include "cli/exit_code.hpp"

#include <array>
#include <utility>

namespace vegha::cli {
namespace {

constexpr std::array<std::pair<std::string_view, ExitCode>, 12> kByErrorCode{{
    {"daemon_unavailable", ExitCode::kDaemonUnavailable},
    {"idp_error", ExitCode::kProviderRefused},
    {"login_required", ExitCode::kLoginRequired},
    {"unknown_profile", ExitCode::kConfiguration},
    {"missing_field", ExitCode::kConfiguration},
    {"invalid_request", ExitCode::kConfiguration},
    {"insecure_url", ExitCode::kConfiguration},
    {"unsupported_grant", ExitCode::kConfiguration},
    {"network_error", ExitCode::kNetwork},
    {"timeout", ExitCode::kNetwork},
    {"tls_error", ExitCode::kNetwork},
    // The provider answered, but with something unusable: like a network fault, it is the
    // provider side to look at, not the profile.
    {"invalid_token_response", ExitCode::kNetwork},
}};

}  // namespace

ExitCode exit_code_for(std::string_view error_code) noexcept {
    for (const auto& [code, exit] : kByErrorCode) {
        if (code == error_code) {
            return exit;
        }
    }
    return ExitCode::kOther;
}

std::string_view exit_code_help() noexcept {
    return "Exit codes:\n"
           "  0  success\n"
           "  1  other or internal error (including a malformed reply from the daemon)\n"
           "  2  usage error on the command line\n"
           "  3  daemon unavailable: nothing answered on the socket\n"
           "  4  the identity provider refused (idp_error)\n"
           "  5  login required: only an interactive login can produce a token\n"
           "  6  configuration problem: unknown_profile, missing_field, invalid_request,\n"
           "     insecure_url, unsupported_grant\n"
           "  7  network problem: network_error, timeout, tls_error, invalid_token_response\n";
}

}  // namespace vegha::cli
