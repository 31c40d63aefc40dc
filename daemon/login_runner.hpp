#pragma once

// The daemon's interactive logins: the oauth::LoginRunner the token service calls when only a
// person can renew a grant. It picks the browser login or the device login the profile asks
// for, and turns what each has to show into LoginPrompts for every waiting caller.

#include <string>
#include <string_view>
#include <vector>

#include "oauth/http_client.hpp"
#include "oauth/token_client.hpp"
#include "oauth/token_service.hpp"

namespace vegha::daemon {

struct LoginSettings {
    // The browser for profiles that name none (the daemon's --browser-command). Empty:
    // $BROWSER, then the platform's opener (login/browser.hpp).
    std::vector<std::string> browser_command;
};

// Builds the runner. For a profile with login "browser" it runs the authorization code login
// (RFC 8252) with the profile's browser command (else settings.browser_command), deadline and
// issuer, and reports the authorization URL as a prompt; when no browser can be started and
// the profile has a device_authorization_url, it switches to the device login instead. For
// login "device" it runs the device grant (RFC 8628) and reports the verification URI and
// user code. Either way the token has the scopes the profile names: a refresh token comes
// only when they include offline_access.
//
// `http` must outlive the runner. The runner must be awaited on `http`'s executor, and the
// LoginRequest's profile must outlive the awaited login.
oauth::LoginRunner make_login_runner(oauth::HttpClient& http, oauth::Now now,
                                     LoginSettings settings);

// Splits a --browser-command value into argv words on spaces (no quoting, no shell), as
// $BROWSER entries are split.
std::vector<std::string> split_command(std::string_view text);

}  // namespace vegha::daemon
