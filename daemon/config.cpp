#include "daemon/config.hpp"

#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vegha::daemon {
namespace fs = std::filesystem;

fs::path default_config_path() {
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
        return fs::path(xdg) / "vegha-broker" / "config.json";
    }
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".config" / "vegha-broker" / "config.json";
}

namespace {

bool holds_literal_secret(const boost::json::object& root) {
    const auto* profiles = root.if_contains("profiles");
    if (!profiles || !profiles->is_object()) {
        return false;
    }
    for (const auto& [name, profile] : profiles->as_object()) {
        if (profile.is_object() && (profile.as_object().contains("client_secret") ||
                                    profile.as_object().contains("password"))) {
            return true;
        }
    }
    return false;
}

}  // namespace

Result<Config> load_config(const fs::path& path) {
    Config config;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            return config;
        }
        return make_error(Errc::kInvalidRequest, "cannot read " + path.string());
    }
    std::stringstream text;
    text << in.rdbuf();

    boost::system::error_code ec;
    auto root = boost::json::parse(text.str(), ec);
    if (ec || !root.is_object()) {
        return make_error(Errc::kInvalidRequest,
                          path.string() + " is not a JSON object" +
                              (ec ? " (" + ec.message() + ")" : std::string()));
    }
    auto profiles =
        oauth::parse_config(root.as_object(), oauth::ParseOptions{oauth::process_environment()});
    if (!profiles) {
        Error e = profiles.error();
        e.message = path.string() + ": " + e.message;
        return e;
    }
    config.source = path;
    config.profiles = std::move(*profiles);
    if (const auto* store = root.as_object().if_contains("token_store")) {
        if (!store->is_string() ||
            (store->as_string() != "auto" && store->as_string() != "secret-service" &&
             store->as_string() != "memory")) {
            return make_error(Errc::kInvalidRequest, path.string() +
                                                         ": \"token_store\" must be \"auto\", "
                                                         "\"secret-service\" or \"memory\"");
        }
        config.token_store = std::string(store->as_string());
    }

    struct stat st {};
    if (holds_literal_secret(root.as_object()) && ::stat(path.c_str(), &st) == 0 &&
        (st.st_mode & 077) != 0) {
        config.warnings.push_back(path.string() +
                                  " holds secrets and is readable by other users; run chmod 600 "
                                  "on it, or use client_secret_env / password_env");
    }
    return config;
}

}  // namespace vegha::daemon
