#include "daemon/login_runner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "login/authorization_code.hpp"
#include "login/browser.hpp"
#include "login/device_flow.hpp"

namespace vegha::daemon {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::string label(const oauth::Profile& profile) {
    return profile.name.empty() ? std::string("(inline)") : profile.name;
}

asio::awaitable<Result<oauth::Token>> device_login(const oauth::Profile& profile,
                                                   oauth::HttpClient& http, oauth::Now now,
                                                   oauth::PromptListener on_prompt) {
    login::DeviceOptions options;
    options.device_authorization_url = *profile.device_authorization_url;
    options.deadline = profile.login_timeout;
    options.on_user_code = [&on_prompt](const login::DeviceCode& code) {
        if (on_prompt) {
            on_prompt(oauth::LoginPrompt{code.verification_uri_complete.value_or(""),
                                         code.verification_uri, code.user_code});
        }
    };
    co_return co_await login::run_device_login(profile, http, options, now);
}

// Set from the browser-URL callback when no browser could be started, to end the browser
// login early. The flag covers a failure reported before anyone waits on the timer.
class BrowserFailure {
public:
    explicit BrowserFailure(const asio::any_io_executor& executor)
        : timer_(executor, asio::steady_timer::time_point::max()) {}

    void signal() {
        failed_ = true;
        timer_.cancel();
    }
    asio::awaitable<void> wait() {
        if (!failed_) {
            co_await timer_.async_wait(kNoThrow);
        }
    }

private:
    asio::steady_timer timer_;
    bool failed_ = false;
};

asio::awaitable<Result<oauth::Token>> browser_login(const oauth::Profile& profile,
                                                    oauth::HttpClient& http, oauth::Now now,
                                                    std::vector<std::string> default_command,
                                                    oauth::PromptListener on_prompt) {
    auto log = vegha::log::logger("daemon");
    const bool can_fall_back = profile.device_authorization_url.has_value();
    BrowserFailure browser_failure(co_await asio::this_coro::executor);

    login::LoginOptions options;
    options.browser_command =
        profile.browser_command.empty() ? std::move(default_command) : profile.browser_command;
    // Started here rather than by the login, so that a failure can switch to the device login
    // before the URL is shown to anyone.
    options.open_browser = false;
    options.deadline = profile.login_timeout;
    options.expected_issuer = profile.issuer;
    options.on_browser_url = [&](std::string_view url) {
        auto opened = login::open_browser(options.browser_command, std::string(url));
        if (!opened && can_fall_back) {
            log->warn("login for {}: {}; switching to the device login", label(profile),
                      opened.error().message);
            browser_failure.signal();
            return;
        }
        if (!opened) {
            log->warn("login for {}: {}; the caller is shown the URL instead", label(profile),
                      opened.error().message);
        }
        if (on_prompt) {
            on_prompt(oauth::LoginPrompt{std::string(url), {}, {}});
        }
    };

    if (!can_fall_back) {
        co_return co_await login::run_authorization_code_login(profile, http, options, now);
    }
    auto raced = co_await (login::run_authorization_code_login(profile, http, options, now) ||
                           browser_failure.wait());
    if (raced.index() == 0) {
        co_return std::move(std::get<0>(raced));
    }
    co_return co_await device_login(profile, http, std::move(now), std::move(on_prompt));
}

asio::awaitable<Result<oauth::Token>> run_login(const oauth::Profile& profile,
                                                oauth::HttpClient& http, oauth::Now now,
                                                std::vector<std::string> default_command,
                                                oauth::PromptListener on_prompt) {
    if (profile.grant != oauth::GrantType::kAuthorizationCode) {
        co_return make_error(Errc::kUnsupportedGrant,
                             "only authorization_code profiles have an interactive login");
    }
    vegha::log::logger("daemon")->info("login for {}: starting the {} login", label(profile),
                                       oauth::login_method_name(profile.login));
    if (profile.login == oauth::LoginMethod::kDevice) {
        co_return co_await device_login(profile, http, std::move(now), std::move(on_prompt));
    }
    co_return co_await browser_login(profile, http, std::move(now), std::move(default_command),
                                     std::move(on_prompt));
}

}  // namespace

oauth::LoginRunner make_login_runner(oauth::HttpClient& http, oauth::Now now,
                                     LoginSettings settings) {
    return [&http, now = std::move(now),
            settings = std::move(settings)](const oauth::LoginRequest& request) {
        return run_login(request.profile, http, now, settings.browser_command, request.on_prompt);
    };
}

std::vector<std::string> split_command(std::string_view text) {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto start = text.find_first_not_of(' ', at);
        if (start == std::string_view::npos) {
            break;
        }
        const auto end = std::min(text.find(' ', start), text.size());
        words.emplace_back(text.substr(start, end - start));
        at = end;
    }
    return words;
}

}  // namespace vegha::daemon
