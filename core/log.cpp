#include "core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>

namespace vegha::log {
namespace {

std::mutex registry_mutex;
spdlog::sink_ptr shared_sink;
spdlog::level::level_enum shared_level = spdlog::level::info;

}  // namespace

void init(spdlog::level::level_enum level) {
    std::lock_guard lock(registry_mutex);
    shared_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    shared_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-7l%$ [%n] %v");
    shared_level = level;
    spdlog::set_level(level);
}

std::shared_ptr<spdlog::logger> logger(std::string_view component) {
    std::lock_guard lock(registry_mutex);
    const std::string name(component);
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    if (!shared_sink) {
        shared_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        shared_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-7l%$ [%n] %v");
    }
    auto created = std::make_shared<spdlog::logger>(name, shared_sink);
    created->set_level(shared_level);
    created->flush_on(spdlog::level::trace);
    spdlog::register_logger(created);
    return created;
}

}  // namespace vegha::log
