#pragma once

// One named spdlog logger per component ("daemon", "ipc", "oauth"), all writing to the
// same sinks. Nothing secret is ever passed to them: Secret cannot be formatted, and
// URLs are logged without their query.

#include <spdlog/logger.h>

#include <memory>
#include <string_view>

namespace vegha::log {

// Sends every component's lines to stderr (where systemd's journal or a test harness
// collects them) at `level` and above. Call once, before the first logger() call.
void init(spdlog::level::level_enum level);

// The component's logger; created on first use with the sinks set up by init().
std::shared_ptr<spdlog::logger> logger(std::string_view component);

}  // namespace vegha::log
