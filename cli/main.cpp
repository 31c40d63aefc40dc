// vegha-token: asks the local vegha-broker daemon for an access token and prints it, for
// shell scripts and tools that cannot link the client library. cli/README.md is the manual.

#include <unistd.h>

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

    // get: unset means interactive when a person is likely there (see is_attended()).
    std::optional<bool> interactive;
    bool force_refresh = false;
    std::string rejected_token;
};

// A person can answer a login prompt when the command runs at a terminal: stdin or stderr
// is one (stdout is usually captured, as in TOKEN=$(vegha-token get x)).
bool is_attended() {
    return ::isatty(STDIN_FILENO) == 1 || ::isatty(STDERR_FILENO) == 1;
}

void show_prompt(const vegha::client::LoginPrompt& prompt) {
    vegha::cli::print_login_prompt(std::cerr, prompt);
}

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

// The profile part of a request, from PROFILE or --inline FILE; nullopt after a usage error
// has been printed (its exit code in `exit`).
std::optional<vegha::client::TokenRequest> target_request(const Options& options,
                                                          const char* command, int& exit) {
    vegha::client::TokenRequest request;
    if (!options.inline_file.empty()) {
        errno = 0;
        auto text = read_inline(options.inline_file);
        if (!text) {
            const int error = errno;
            exit = usage_error("cannot read the inline profile " + options.inline_file +
                               (error != 0 ? std::string(": ") + std::strerror(error) : ""));
            return std::nullopt;
        }
        if (text->size() > kMaxInlineSize) {
            exit = usage_error("the inline profile is larger than 1 MiB");
            return std::nullopt;
        }
        request.inline_config = std::move(*text);
    } else if (!options.profile.empty()) {
        request.profile = options.profile;
    } else {
        exit = usage_error(std::string(command) + " needs a PROFILE or --inline FILE");
        return std::nullopt;
    }
    return request;
}

int print_token_result(vegha::client::Result<vegha::client::AccessToken>& token,
                       const Options& options) {
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

int run_get(vegha::client::Client& client, const Options& options) {
    int exit = 0;
    auto request = target_request(options, "get", exit);
    if (!request) {
        return exit;
    }
    request->min_ttl = std::chrono::seconds(options.min_ttl);
    request->interactive = options.interactive.value_or(is_attended());
    request->force_refresh = options.force_refresh;
    request->rejected_token = options.rejected_token;
    request->on_prompt = show_prompt;

    auto token = client.get_token(*request);
    // The inline profile may hold a client secret.
    ::explicit_bzero(request->inline_config.data(), request->inline_config.size());
    ::explicit_bzero(request->rejected_token.data(), request->rejected_token.size());
    return print_token_result(token, options);
}

int run_login(vegha::client::Client& client, const Options& options) {
    int exit = 0;
    auto request = target_request(options, "login", exit);
    if (!request) {
        return exit;
    }
    request->on_prompt = show_prompt;
    auto token = client.login(*request);
    ::explicit_bzero(request->inline_config.data(), request->inline_config.size());
    return print_token_result(token, options);
}

int run_logout(vegha::client::Client& client, const Options& options) {
    int exit = 0;
    auto request = target_request(options, "logout", exit);
    if (!request) {
        return exit;
    }
    auto result = client.logout(*request);
    ::explicit_bzero(request->inline_config.data(), request->inline_config.size());
    if (!result) {
        return fail(result.error());
    }
    // Standard error: standard output carries tokens only.
    vegha::cli::print_logout(std::cerr, options.profile.empty() ? "(inline)" : options.profile,
                             *result);
    return exit_with(ExitCode::kOk);
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
    auto* interactive = get->add_flag_function(
        "--interactive", [&options](std::int64_t) { options.interactive = true; },
        "Log in when needed, showing the prompts on stderr (default at a terminal)");
    get->add_flag_function(
           "--no-interactive", [&options](std::int64_t) { options.interactive = false; },
           "Never log in; fail with exit code 5 (login_required) instead")
        ->excludes(interactive);
    get->add_flag("--force-refresh", options.force_refresh,
                  "Renew the token even though the cached one is still valid");
    get->add_option("--rejected", options.rejected_token,
                    "The token an API just refused: renew it, unless the daemon already "
                    "holds a newer one")
        ->type_name("TOKEN");

    auto* login = app.add_subcommand(
        "login", "Log in anew for a profile (browser or device code) and print the token");
    auto* login_profile = login->add_option("PROFILE", options.profile, "Configured profile name");
    login
        ->add_option("--inline", options.inline_file,
                     "File holding an inline profile as a JSON object ('-' for stdin)")
        ->type_name("FILE")
        ->excludes(login_profile);
    login->add_option("--format", options.token_format, "token (default), header or json")
        ->check(CLI::IsMember({"token", "header", "json"}));

    auto* logout = app.add_subcommand(
        "logout", "Forget a profile's grant in the daemon and revoke it at the provider");
    auto* logout_profile =
        logout->add_option("PROFILE", options.profile, "Configured profile name");
    logout
        ->add_option("--inline", options.inline_file,
                     "File holding an inline profile as a JSON object ('-' for stdin)")
        ->type_name("FILE")
        ->excludes(logout_profile);

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
    if (login->parsed()) {
        return run_login(client, options);
    }
    if (logout->parsed()) {
        return run_logout(client, options);
    }
    if (list->parsed()) {
        return run_list(client, options);
    }
    return run_status(client, options);
}
