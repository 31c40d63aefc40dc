#pragma once

// The daemon's configuration file: $XDG_CONFIG_HOME/vegha-broker/config.json (or
// ~/.config/vegha-broker/config.json), holding the named profiles. README.md documents
// the format.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "oauth/profile.hpp"

namespace vegha::daemon {

struct Config {
    std::filesystem::path source;  // empty when no file was found
    std::map<std::string, oauth::Profile> profiles;
    // The top-level "token_store": "auto", "secret-service" or "memory"; empty when unset
    // (the daemon's --token-store flag, or auto).
    std::string token_store;
    // Things worth telling the user that do not stop the daemon, such as plaintext
    // secrets in a file others can read.
    std::vector<std::string> warnings;
};

std::filesystem::path default_config_path();

// A missing file is an empty configuration (profiles can still come inline); a file that
// cannot be read or parsed, or an invalid profile, is an error naming the problem.
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace vegha::daemon
