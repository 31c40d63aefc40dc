#include <unistd.h>

#include <cstdlib>
#include <string>

#include "vegha/client.hpp"

namespace vegha::client {
namespace {

// An empty variable counts as unset, as the daemon reads it, so `VAR= cmd` cannot point
// the client at a relative path "" that the daemon would never listen on.
const char* environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::string resolve_socket_path(std::string_view explicit_path) {
    if (!explicit_path.empty()) {
        return std::string(explicit_path);
    }
    if (const char* path = environment("VEGHA_BROKER_SOCKET")) {
        return path;
    }
    if (const char* runtime = environment("XDG_RUNTIME_DIR")) {
        std::string path = runtime;
        if (path.back() != '/') {
            path += '/';
        }
        return path + "vegha-broker/broker.sock";
    }
    return "/tmp/vegha-broker-" + std::to_string(::geteuid()) + "/broker.sock";
}

}  // namespace vegha::client
