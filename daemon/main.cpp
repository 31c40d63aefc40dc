// vegha-brokerd: the per-user token broker daemon.

#include <csignal>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "core/log.hpp"
#include "daemon/broker.hpp"
#include "daemon/config.hpp"
#include "ipc/server.hpp"

namespace {

struct Options {
    std::optional<std::string> config_path;
    std::optional<std::string> socket_path;
    std::string log_level = "info";
    std::string ca_file;
};

int serve(const Options& options) {
    using namespace vegha;
    auto log = vegha::log::logger("daemon");

    const auto config_path =
        options.config_path ? std::filesystem::path(*options.config_path)
                            : daemon::default_config_path();
    auto config = daemon::load_config(config_path);
    if (!config) {
        log->error("configuration: {}", config.error().message);
        return 1;
    }
    for (const auto& warning : config->warnings) {
        log->warn("{}", warning);
    }
    log->info("{} profile(s) from {}", config->profiles.size(),
              config->source.empty() ? config_path.string() + " (not found)"
                                     : config->source.string());

    boost::asio::io_context io(1);
    std::optional<daemon::Broker> broker;
    try {
        broker.emplace(io.get_executor(), std::move(*config),
                       oauth::HttpClientOptions{options.ca_file});
    } catch (const std::exception& e) {
        log->error("{}", e.what());
        return 1;
    }

    ipc::Server server(io.get_executor(), ipc::resolve_socket_path(options.socket_path),
                       [&broker](std::string body, const ipc::ConnectionInfo& conn) {
                           return broker->handle(std::move(body), conn);
                       });
    broker->set_connection_counter([&server] { return server.connection_count(); });

    // Handlers are in place before the socket appears: a SIGTERM sent as soon as a client
    // can connect must still shut down cleanly.
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (!ec) {
            log->info("signal {} received; shutting down", signal);
            server.stop();
            io.stop();
        }
    });
    if (auto listening = server.listen(); !listening) {
        log->error("{}", listening.error().message);
        return 1;
    }

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
