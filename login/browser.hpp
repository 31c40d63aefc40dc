#pragma once

// Opens a URL in the user's browser (RFC 8252 §6: the system browser, never an embedded
// view). The URL always travels as a single argument to a program started directly; no
// shell ever sees it, so nothing in it can run as a command.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace vegha::login {

// The programs to try, in order, each an argv. The first entry that starts wins.
//  - `configured` non-empty: that one command.
//  - else $BROWSER when set and not empty: its ':'-separated entries, each split on spaces
//    into words (no quoting, no shell);
//  - else the platform opener: xdg-open on Linux and the BSDs, open on macOS. (Windows
//    uses ShellExecuteW and ignores this list when both the others are empty.)
// In each argv, "%s" in any word is replaced by the URL and "%%" by "%"; a command with no
// "%s" gets the URL appended as its last argument.
std::vector<std::vector<std::string>> browser_commands(const std::vector<std::string>& configured,
                                                       std::string_view browser_env,
                                                       const std::string& url);

// Starts the first command of browser_commands(configured, $BROWSER, url) that can be
// started and returns at once: the browser runs on its own, in a new session, with stdin
// and stdout on /dev/null, stderr inherited, no descriptors but those three, and default
// signal handling. A detached thread waits for the program so that it leaves no zombie,
// and logs a warning if it exits with a failure status. Fails with kInvalidRequest when
// no command could be started (the message names what was tried). Never blocks on the
// browser; thread-safe.
Result<void> open_browser(const std::vector<std::string>& configured, const std::string& url);

}  // namespace vegha::login
