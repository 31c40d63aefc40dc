// vegha-token: asks the local vegha-broker daemon for an access token and prints it, for
// shell scripts and tools that cannot link the client library. cli/README.md is the manual.

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "cli/exit_code.hpp"
#include "cli/output.hpp"
#include "vegha/client.hpp"

namespace {

using vegha::cli::ExitCode;

// The protocol refuses frames over 1 MiB, so a bigger inline profile could never be sent;
// the cap also stops `--inline -` on an endless stream.
constexpr std::size_t kMaxInlineSize = 1024 * 1024;

struct Options {
    std::string socket;
    double timeout_seconds = 120;

    std::string profile;
    std::string inline_file;
    std::int64_t min_ttl = 0;
    std::string token_format = "token";
    std::string list_format = "table";
    std::string status_format = "text";
};

int exit_with(ExitCode code) {
    return static_cast<int>(code);
}

int fail(const vegha::client::Error& error) {
    vegha::cli::print_error(std::cerr, error);
    return exit_with(vegha::cli::exit_code_for(error.code));
}

int usage_error(const std::string& message) {
    std::cerr << "vegha-token: " << message << "\nRun with --help for more information.\n";
    return exit_with(ExitCode::kUsage);
}

// Reads the inline profile; "-" is standard input.
std::optional<std::string> read_inline(const std::string& name) {
    std::ifstream file;
    if (name != "-") {
        file.open(name, std::ios::binary);
        if (!file) {
            return std::nullopt;
        }
    }
    std::istream& in = name == "-" ? std::cin : file;
    std::string text;
    std::istreambuf_iterator<char> it(in);
    for (; it != std::istreambuf_iterator<char>() && text.size() <= kMaxInlineSize; ++it) {
        text.push_back(*it);
    }
    if (in.bad()) {
        return std::nullopt;
    }
    return text;
}

// stdout may be a closed pipe or a full disk; a token that was not delivered is a failure.
int finish_output() {
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "vegha-token: cannot write to standard output\n";
        return exit_with(ExitCode::kOther);
    }
    return exit_with(ExitCode::kOk);
}

int run_get(vegha::client::Client& client, const Options& options) {
    vegha::client::TokenRequest request;
    request.min_ttl = std::chrono::seconds(options.min_ttl);
    if (!options.inline_file.empty()) {
        errno = 0;
        auto text = read_inline(options.inline_file);
        if (!text) {
            const int error = errno;
            return usage_error("cannot read the inline profile " + options.inline_file +
                               (error != 0 ? std::string(": ") + std::strerror(error) : ""));
        }
        if (text->size() > kMaxInlineSize) {
            return usage_error("the inline profile is larger than 1 MiB");
        }
        request.inline_config = std::move(*text);
    } else if (!options.profile.empty()) {
        request.profile = options.profile;
    } else {
        return usage_error("get needs a PROFILE or --inline FILE");
    }

    auto token = client.get_token(request);
    // The inline profile may hold a client secret.
    ::explicit_bzero(request.inline_config.data(), request.inline_config.size());
    if (!token) {
        return fail(token.error());
    }
    const auto format = options.token_format == "json"     ? vegha::cli::TokenFormat::kJson
                        : options.token_format == "header" ? vegha::cli::TokenFormat::kHeader
                                                           : vegha::cli::TokenFormat::kToken;
    vegha::cli::print_token(std::cout, *token, format);
    ::explicit_bzero(token->access_token.data(), token->access_token.size());
    return finish_output();
}

int run_list(vegha::client::Client& client, const Options& options) {
    auto profiles = client.list();
    if (!profiles) {
        return fail(profiles.error());
    }
    const auto format = options.list_format == "json" ? vegha::cli::ListFormat::kJson
                                                      : vegha::cli::ListFormat::kTable;
    vegha::cli::print_profiles(std::cout, *profiles, format, std::time(nullptr));
    return finish_output();
}

int run_status(vegha::client::Client& client, const Options& options) {
    auto status = client.status();
    if (!status) {
        return fail(status.error());
    }
    const auto format = options.status_format == "json" ? vegha::cli::StatusFormat::kJson
                                                        : vegha::cli::StatusFormat::kText;
    vegha::cli::print_status(std::cout, *status, format);
    return finish_output();
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"Prints OAuth2 access tokens obtained by the local vegha-broker daemon."};
    app.name("vegha-token");
    app.set_version_flag("--version", std::string("vegha-token ") + VEGHA_VERSION);
    app.footer(std::string(vegha::cli::exit_code_help()));
    app.require_subcommand(1);
    // Global options are accepted after the subcommand too: `vegha-token get x --socket s`.
    app.fallthrough();

    app.add_option("--socket", options.socket,
                   "Daemon socket (default: $VEGHA_BROKER_SOCKET, else "
                   "$XDG_RUNTIME_DIR/vegha-broker/broker.sock, else "
                   "/tmp/vegha-broker-<uid>/broker.sock)")
        ->type_name("PATH");
    app.add_option("--timeout", options.timeout_seconds,
                   "Seconds to wait for the daemon's answer, 0.001 to 86400 (default 120)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.001, 86400.0).description(""));

    auto* get = app.add_subcommand("get", "Print an access token for a profile");
    auto* profile = get->add_option("PROFILE", options.profile, "Configured profile name");
    get->add_option("--inline", options.inline_file,
                    "File holding an inline profile as a JSON object ('-' for stdin)")
        ->type_name("FILE")
        ->excludes(profile);
    get->add_option("--min-ttl", options.min_ttl,
                    "The token must stay valid at least this long, 0 to 86400 (default 0)")
        ->type_name("SECONDS")
        ->check(CLI::Range(0, 86400).description(""));
    get->add_option("--format", options.token_format, "token (default), header or json")
        ->check(CLI::IsMember({"token", "header", "json"}));

    auto* list = app.add_subcommand("list", "List the configured profiles");
    list->add_option("--format", options.list_format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));

    auto* status = app.add_subcommand("status", "Show the daemon's state");
    status->add_option("--format", options.status_format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help and version requests exit 0; every other parse failure is a usage error.
        return app.exit(e) == 0 ? exit_with(ExitCode::kOk) : exit_with(ExitCode::kUsage);
    }

    vegha::client::ClientOptions client_options;
    client_options.socket_path = options.socket;
    client_options.timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(options.timeout_seconds * 1000.0 + 0.5));
    vegha::client::Client client(std::move(client_options));

    if (get->parsed()) {
        return run_get(client, options);
    }
    if (list->parsed()) {
        return run_list(client, options);
    }
    return run_status(client, options);
}
