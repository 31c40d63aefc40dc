// vegha-brokerd: the per-user token broker daemon.

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "core/log.hpp"
#include "daemon/broker.hpp"
#include "daemon/config.hpp"
#include "daemon/keystore_persistence.hpp"
#include "ipc/server.hpp"

namespace {

struct Options {
    std::optional<std::string> config_path;
    std::optional<std::string> socket_path;
    std::string log_level = "info";
    std::string ca_file;
    std::optional<std::string> token_store;
    std::string browser_command;
};

bool has_display() {
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
        if (const char* value = std::getenv(name); value && *value) {
            return true;
        }
    }
    return false;
}

// What grants are kept in between runs, and how `status` names it when it is not a store.
struct TokenStoreSetup {
    std::unique_ptr<vegha::daemon::KeystorePersistence> persistence;
    std::string memory_reason;
};

// Opens the OS keystore before the I/O loop runs (bounded by the store's deadlines). A
// keystore that cannot be used is a warning and a `status` line, never a silent downgrade:
// the daemon serves tokens from memory and a restart means asking the provider again.
TokenStoreSetup open_token_store(boost::asio::any_io_executor io, const std::string& choice,
                                 spdlog::logger& log) {
    using namespace vegha;
    if (choice == "memory") {
        log.info(
            "tokens are kept in memory only (token_store \"memory\"); a restart means "
            "asking the provider again");
        return {nullptr, "memory (by configuration)"};
    }
    daemon::KeystoreOptions options;
    options.store.backend =
        choice == "secret-service" ? store::Backend::kSecretService : store::Backend::kAuto;
    // An unlock prompt needs a screen to appear on. Without one (ssh, CI, a system service)
    // a locked keystore is reported as keystore_locked instead of waiting for nobody.
    options.store.interactive = has_display();
    auto opened = daemon::KeystorePersistence::open(std::move(io), options, oauth::Clock::now);
    if (!opened) {
        const auto& error = opened.error();
        log.warn(
            "the token store cannot be used, so tokens are kept in memory only and a "
            "restart means asking the provider again: {}: {}",
            errc_name(error.code), error.message);
        return {nullptr,
                "memory only (" + std::string(errc_name(error.code)) + ": " + error.message + ")"};
    }
    log.info("tokens are kept in {} ({} grant(s) found)", (*opened)->description(),
             (*opened)->grants_loaded());
    return {std::move(*opened), {}};
}

int serve(const Options& options) {
    using namespace vegha;
    auto log = vegha::log::logger("daemon");

    const auto config_path = options.config_path ? std::filesystem::path(*options.config_path)
                                                 : daemon::default_config_path();
    // The default file may be absent (profiles can come inline); a file named on the
    // command line must be there, or a typo would start a daemon that knows no profile.
    std::error_code exists_error;
    if (options.config_path && !std::filesystem::exists(config_path, exists_error)) {
        log->error("configuration: {} does not exist", config_path.string());
        return 1;
    }
    auto config = daemon::load_config(config_path);
    if (!config) {
        log->error("configuration: {}", config.error().message);
        return 1;
    }
    for (const auto& warning : config->warnings) {
        log->warn("{}", warning);
    }
    log->info(
        "{} profile(s) from {}", config->profiles.size(),
        config->source.empty() ? config_path.string() + " (not found)" : config->source.string());

    boost::asio::io_context io(1);
    // Opened once the socket is ours, below. Declared here so it outlives the broker that
    // uses it and goes before the context its worker reports to.
    TokenStoreSetup token_store;
    std::optional<daemon::Broker> broker;
    ipc::Server server(io.get_executor(), ipc::resolve_socket_path(options.socket_path),
                       [&broker](std::string body, const ipc::ConnectionInfo& conn) {
                           return broker->handle(std::move(body), conn);
                       });

    // Handlers are in place before the socket appears: a SIGTERM sent as soon as a client
    // can connect must still shut down cleanly.
    // SIGHUP must not kill the daemon (its default action would): the configuration is
    // read once, at start, so the signal is only acknowledged.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGHUP) {
                log->warn("SIGHUP received: the configuration is read only at start; restart "
                          "vegha-brokerd to apply changes");
                signals.async_wait(on_signal);
                return;
            }
            log->info("signal {} received; shutting down", signal);
            server.stop();
            io.stop();
        };
    signals.async_wait(on_signal);
    if (auto listening = server.listen(); !listening) {
        log->error("{}", listening.error().message);
        return 1;
    }

    // Only the daemon holding the socket lock touches the store: two writers would each
    // replace the grants file with their own view. Clients that connect meanwhile wait in
    // the backlog; nothing is read before the loop runs. The flag wins over the file.
    const std::string store_choice =
        options.token_store ? *options.token_store
                            : (config->token_store.empty() ? "auto" : config->token_store);
    token_store = open_token_store(io.get_executor(), store_choice, *log);
    daemon::GrantStorage storage{token_store.persistence.get(), nullptr};
    if (auto* persistence = token_store.persistence.get()) {
        storage.describe = [persistence] { return persistence->description(); };
    } else {
        storage.describe = [reason = token_store.memory_reason] { return reason; };
    }

    oauth::HttpClientOptions http_options;
    http_options.ca_file = options.ca_file;
    http_options.proxy = oauth::ProxySettings::from_environment();
    if (!http_options.proxy.https_proxy.empty()) {
        auto proxy = oauth::parse_proxy_url(http_options.proxy.https_proxy);
        if (!proxy) {
            log->error("{}", proxy.error().message);
            return 1;
        }
        // The proxy URL may carry credentials: only its host and port are logged.
        log->info("HTTPS to providers goes through the proxy at {}{}",
                  std::string(proxy->encoded_host_and_port()),
                  http_options.proxy.no_proxy.empty() ? "" : " (except no_proxy hosts)");
    }
    try {
        broker.emplace(io.get_executor(), std::move(*config), std::move(http_options),
                       oauth::Clock::now, std::move(storage),
                       daemon::LoginSettings{daemon::split_command(options.browser_command)});
    } catch (const std::exception& e) {
        log->error("{}", e.what());
        return 1;
    }
    broker->set_connection_counter([&server] { return server.connection_count(); });

    boost::asio::co_spawn(io, server.run(), [&log](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log->critical("the accept loop failed: {}", ex.what());
            }
        }
    });

    io.run();
    log->info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    CLI::App app{"vegha-brokerd: obtains, caches and serves OAuth2 tokens to local programs"};
    app.set_version_flag("--version", "vegha-brokerd 0.1.0");
    app.add_option("--config", options.config_path,
                   "configuration file (default $XDG_CONFIG_HOME/vegha-broker/config.json)");
    app.add_option("--socket", options.socket_path,
                   "socket path (default $VEGHA_BROKER_SOCKET, else "
                   "$XDG_RUNTIME_DIR/vegha-broker/broker.sock)");
    app.add_option("--log-level", options.log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    app.add_option("--ca-file", options.ca_file,
                   "PEM bundle of CAs to trust instead of the system's");
    app.add_option("--token-store", options.token_store,
                   "where grants outlive the daemon: auto (the OS keystore), secret-service, or "
                   "memory (nothing outlives the process); overrides \"token_store\" in the "
                   "configuration file")
        ->check(CLI::IsMember({"auto", "secret-service", "memory"}));
    app.add_option("--browser-command", options.browser_command,
                   "program (and arguments, split on spaces; %s marks the URL) that opens "
                   "login pages, for profiles without \"browser_command\" (default $BROWSER, "
                   "else xdg-open)");
    CLI11_PARSE(app, argc, argv);

    // A client that hangs up mid-reply must not kill the daemon.
    std::signal(SIGPIPE, SIG_IGN);
    vegha::log::init(spdlog::level::from_str(options.log_level));
    try {
        return serve(options);
    } catch (const std::exception& e) {
        vegha::log::logger("daemon")->critical("unexpected failure: {}", e.what());
        return 1;
    }
}
