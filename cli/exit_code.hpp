#pragma once

// vegha-token's exit codes: scripts branch on them, so each meaning keeps its number.
// cli/README.md and the --help footer list them; keep all three in step.

#include <string_view>

namespace vegha::cli {

enum class ExitCode : int {
    kOk = 0,
    kOther = 1,              // internal errors, protocol trouble, anything not below
    kUsage = 2,              // the command line is wrong
    kDaemonUnavailable = 3,  // no daemon answered on the socket
    kProviderRefused = 4,    // the identity provider refused (idp_error)
    kLoginRequired = 5,      // only an interactive login could produce a token
    kConfiguration = 6,      // the profile or request is unusable as configured
    kNetwork = 7,            // the provider or daemon could not be reached in time
};

// The exit code for an error code of the protocol or the client library. An unknown code
// (from a newer daemon) is kOther.
ExitCode exit_code_for(std::string_view error_code) noexcept;

// The exit code table as printed at the end of --help.
std::string_view exit_code_help() noexcept;

}  // namespace vegha::cli
