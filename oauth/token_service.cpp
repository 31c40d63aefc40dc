#include "oauth/token_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <random>
#include <vector>

#include "core/log.hpp"

namespace vegha::oauth {
namespace asio = boost::asio;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Worth trying again: the provider could not be reached, or said it is in trouble.
bool is_transient(const Error& e) {
    switch (e.code) {
        case Errc::kNetwork:
        case Errc::kTimeout:
            return true;
        case Errc::kInvalidTokenResponse:
            return e.http_status >= 500 || e.http_status == 429;
        case Errc::kIdpError:
            // RFC 6749 §5.2 defines no such codes, but providers send them (OpenID Connect
            // Core §3.1.2.6 lists them for the authorization endpoint).
            return e.http_status >= 500 || e.idp_error == "temporarily_unavailable" ||
                   e.idp_error == "server_error";
        default:
            return false;
    }
}

// The provider refused the refresh token itself: it is expired, revoked or already used.
// RFC 6749 §5.2 says invalid_grant; some providers answer invalid_request or invalid_token.
bool is_dead_grant(const Error& e) {
    return e.code == Errc::kIdpError &&
           (e.idp_error == "invalid_grant" || e.idp_error == "invalid_request" ||
            e.idp_error == "invalid_token");
}

std::shared_ptr<spdlog::logger> service_log() {
    return vegha::log::logger("oauth");
}

}  // namespace

// One renewal in progress and the callers waiting for it. Waiters park on a timer that
// never expires by itself; the leader cancels it when the outcome is known.
struct TokenService::Flight {
    explicit Flight(asio::any_io_executor executor)
        : done(executor, asio::steady_timer::time_point::max()) {}

    void announce(const LoginPrompt& p) {
        prompt = p;
        for (const auto& listener : listeners) {
            listener(p);
        }
    }

    asio::steady_timer done;
    std::optional<Result<std::shared_ptr<const CachedToken>>> outcome;
    // Callers that want to see a login prompt, and the prompt once there is one, so a
    // caller that joins late still sees it.
    std::vector<PromptListener> listeners;
    std::optional<LoginPrompt> prompt;
};

// What the service keeps to renew a grant that nobody is waiting for.
struct TokenService::Grant {
    explicit Grant(asio::any_io_executor executor) : timer(executor) {}

    std::shared_ptr<const Profile> profile;
    asio::steady_timer timer;
    Clock::time_point last_used;
};

TokenService::TokenService(asio::any_io_executor executor, TokenClient& client, Now now,
                           Renderer renderer, TokenServiceOptions options)
    : executor_(std::move(executor)),
      client_(client),
      now_(std::move(now)),
      renderer_(std::move(renderer)),
      options_(std::move(options)) {}

TokenService::~TokenService() {
    stop();
}

void TokenService::stop() {
    stopped_ = true;
    for (auto& [key, grant] : grants_) {
        grant->timer.cancel();
    }
}

std::size_t TokenService::renewals_scheduled() const noexcept {
    return grants_.size();
}

void TokenService::touch(const std::string& key) {
    if (const auto it = grants_.find(key); it != grants_.end()) {
        it->second->last_used = now_();
    }
}

asio::awaitable<Result<TokenLease>> TokenService::get_token(const Profile& profile,
                                                            const TokenOptions& options) {
    co_return co_await get_token(profile, cache_key(profile), options);
}

asio::awaitable<Result<TokenLease>> TokenService::get_token(const Profile& profile,
                                                            const std::string& key,
                                                            const TokenOptions& options) {
    if (!options.force_refresh && !options.force_login) {
        if (auto hit = cache_.find(key, now_(), options.min_ttl);
            hit && (options.rejected_token.empty() ||
                    hit->token.access_token.reveal() != options.rejected_token)) {
            touch(key);
            co_return TokenLease{std::move(hit), true};
        }
    }

    // A caller that may log in retries once after a flight that could only end in
    // login_required because its leader could not.
    for (int round = 0; round < 2; ++round) {
        const auto it = flights_.find(key);
        if (it == flights_.end()) {
            co_return co_await lead_flight(profile, key, options);
        }
        const std::shared_ptr<Flight> flight = it->second;
        if (options.on_prompt) {
            flight->listeners.push_back(options.on_prompt);
            if (flight->prompt) {
                options.on_prompt(*flight->prompt);
            }
        }
        co_await flight->done.async_wait(kNoThrow);
        if (!flight->outcome) {
            co_return make_error(Errc::kInternal, "the shared token request was abandoned");
        }
        if (*flight->outcome) {
            touch(key);
            co_return TokenLease{flight->outcome->value(), false};
        }
        if (!(options.interactive && flight->outcome->error().code == Errc::kLoginRequired)) {
            co_return flight->outcome->error();
        }
    }
    co_return make_error(Errc::kLoginRequired, "the login could not be started");
}

asio::awaitable<Result<TokenLease>> TokenService::lead_flight(const Profile& profile,
                                                              const std::string& key,
                                                              const TokenOptions& options) {
    auto flight = std::make_shared<Flight>(executor_);
    if (options.on_prompt) {
        flight->listeners.push_back(options.on_prompt);
    }
    flights_.emplace(key, flight);

    Result<std::shared_ptr<const CachedToken>> outcome =
        make_error(Errc::kInternal, "the token request failed unexpectedly");
    std::exception_ptr failure;
    try {
        outcome = co_await settle(profile, key, options, flight);
    } catch (const std::exception&) {
        failure = std::current_exception();
    }
    // Waiters are released whatever happened; an exception is then the caller's to log.
    flight->outcome = outcome;
    flights_.erase(key);
    flight->done.cancel();
    if (failure) {
        std::rethrow_exception(failure);
    }
    if (!outcome) {
        co_return outcome.error();
    }
    co_return TokenLease{std::move(*outcome), false};
}

asio::awaitable<Result<std::shared_ptr<const CachedToken>>> TokenService::settle(
    const Profile& profile, const std::string& key, const TokenOptions& options,
    const std::shared_ptr<Flight>& flight) {
    auto renewed = co_await renew(profile, key, options, flight);
    if (renewed) {
        co_return co_await adopt(profile, key, *renewed);
    }
    auto current = cache_.peek(key);
    if (current && is_transient(renewed.error()) && current->token.expires_at > now_()) {
        // The provider is unreachable for now, but the token in hand still works: serve
        // it, keep the refresh token, and try again later.
        service_log()->warn("renewal failed ({}); serving the current token until it expires",
                            renewed.error().message);
        co_return current;
    }
    co_return renewed.error();
}

asio::awaitable<Result<Token>> TokenService::renew(const Profile& profile, const std::string& key,
                                                   const TokenOptions& options,
                                                   const std::shared_ptr<Flight>& flight) {
    std::optional<Token> previous;
    if (auto current = cache_.peek(key)) {
        previous = current->token;
    } else if (options_.persistence) {
        // A grant an earlier run of the daemon saved: use it as it is while it lasts.
        auto stored = co_await options_.persistence->load(key);
        if (stored && *stored) {
            previous = std::move(**stored);
            if (!options.force_refresh && !options.force_login &&
                TokenCache::fresh_enough(*previous, now_(), options.min_ttl) &&
                previous->access_token.reveal() != options.rejected_token) {
                co_return std::move(*previous);
            }
        } else if (!stored) {
            service_log()->warn("cannot read the stored grant: {}", stored.error().message);
        }
    }

    if (previous && !previous->refresh_token.empty() && !options.force_login) {
        auto refreshed = co_await with_retries(profile, &*previous);
        if (refreshed || !is_dead_grant(refreshed.error())) {
            co_return refreshed;
        }
        // The grant is gone for good: forget it everywhere so nobody tries it again, then
        // obtain a new one below if that needs no person.
        service_log()->info(
            "the provider no longer accepts the refresh token ({}); a new "
            "grant is needed",
            refreshed.error().idp_error);
        co_await forget(key);
    }

    if (profile.grant != GrantType::kAuthorizationCode) {
        co_return co_await with_retries(profile, nullptr);
    }
    if (!options.interactive) {
        co_return make_error(Errc::kLoginRequired,
                             "a login in the browser is needed; ask again interactively (for "
                             "example `vegha-token login " +
                                 (profile.name.empty() ? std::string("PROFILE") : profile.name) +
                                 "`)");
    }
    if (!options_.login) {
        co_return make_error(Errc::kUnsupportedGrant, "this daemon cannot run logins");
    }
    // Named, not a temporary in the co_await expression: GCC 12 destroys such temporaries
    // twice.
    const LoginRequest request{profile, [flight](const LoginPrompt& p) { flight->announce(p); }};
    auto login = options_.login(request);
    Result<Token> token = co_await std::move(login);
    co_return token;
}

asio::awaitable<Result<Token>> TokenService::with_retries(const Profile& profile,
                                                          const Token* previous) {
    const int attempts = std::max(1, options_.renewal.attempts);
    for (int attempt = 1;; ++attempt) {
        // Two statements rather than one conditional expression: GCC 12 destroys the
        // result of a co_await inside ?: twice.
        Result<Token> token = make_error(Errc::kInternal, "no attempt made");
        if (previous) {
            // Once sent, the provider may rotate the refresh token before it answers: a
            // crash from here until "grant saved" can lose the rotated one (tests read this).
            service_log()->debug("refresh request sent");
            token = co_await client_.refresh(profile, *previous);
        } else {
            token = co_await client_.request_token(profile);
        }
        if (token || attempt >= attempts || !is_transient(token.error())) {
            co_return token;
        }
        const auto delay = options_.renewal.backoff * (1 << (attempt - 1));
        service_log()->warn("{} failed ({}); attempt {} of {} in {} ms",
                            previous ? "refresh" : "token request", token.error().message,
                            attempt + 1, attempts, delay.count());
        asio::steady_timer pause(executor_, delay);
        co_await pause.async_wait(kNoThrow);
    }
}

// `token` is taken by reference and moved from: GCC 12 mishandles class-type coroutine
// parameters taken by value (the frame's copy can be read after it is destroyed).
asio::awaitable<Result<std::shared_ptr<const CachedToken>>> TokenService::adopt(
    const Profile& profile, const std::string& key, Token& token) {
    auto entry = std::make_shared<CachedToken>();
    entry->rendered = renderer_(token);
    entry->token = std::move(token);

    // Saved before anyone sees it: a rotated refresh token must not be lost to a crash
    // after the caller already used the new access token.
    if (options_.persistence) {
        auto saved = co_await options_.persistence->save(key, profile, entry->token);
        if (saved) {
            service_log()->debug("grant saved");
        } else {
            // The persistence reports its own failures, once per kind.
            service_log()->debug("the grant is kept in memory only: {}", saved.error().message);
        }
    }
    cache_.put(key, entry, now_());
    schedule_renewal(profile, key, entry->token);
    co_return std::shared_ptr<const CachedToken>(std::move(entry));
}

void TokenService::schedule_renewal(const Profile& profile, const std::string& key,
                                    const Token& token) {
    // Renewal without a person: a refresh token, or a grant the daemon can repeat itself.
    const bool renewable =
        !token.refresh_token.empty() || profile.grant != GrantType::kAuthorizationCode;
    if (stopped_ || !renewable || token.lifetime <= Clock::duration::zero()) {
        return;
    }
    auto& grant = grants_[key];
    if (!grant) {
        grant = std::make_shared<Grant>(executor_);
        grant->last_used = now_();
    }
    grant->profile = std::make_shared<const Profile>(profile);

    static thread_local std::mt19937_64 random{std::random_device{}()};
    const auto& policy = options_.renewal;
    std::uniform_real_distribution<double> spread(-policy.jitter, policy.jitter);
    const auto issued = token.expires_at - token.lifetime;
    const auto at = issued + std::chrono::duration_cast<Clock::duration>(
                                 token.lifetime * (policy.at_fraction + spread(random)));
    const auto delay = std::max(Clock::duration::zero(), at - now_());

    grant->timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(delay));
    grant->timer.async_wait([this, key](const boost::system::error_code& ec) {
        // A cancelled timer may fire after the service is gone: look at nothing else first.
        if (ec || stopped_) {
            return;
        }
        asio::co_spawn(executor_, renew_in_background(key), [](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    service_log()->error("background renewal failed: {}", ex.what());
                }
            }
        });
    });
}

asio::awaitable<void> TokenService::renew_in_background(std::string key) {
    const auto it = grants_.find(key);
    if (it == grants_.end() || flights_.contains(key)) {
        co_return;
    }
    const std::shared_ptr<Grant> grant = it->second;
    if (now_() - grant->last_used > options_.renewal.idle_cutoff) {
        // Nobody asked for this grant in a long while: let it lapse rather than keep
        // tokens fresh for no one. The next request renews it on demand.
        service_log()->debug("grant unused for a long time; not renewed ahead of expiry");
        grants_.erase(key);
        co_return;
    }
    const std::shared_ptr<const Profile> profile = grant->profile;
    const auto before = cache_.peek(key);
    const TokenOptions renewal{.force_refresh = true};
    auto lease = co_await lead_flight(*profile, key, renewal);
    if (lease && lease->entry != before) {
        co_return;  // renewed; adopt() scheduled the next renewal
    }
    // Not renewed (the provider is unreachable, or answered with an error): try again
    // halfway to expiry while the current token lasts.
    if (lease) {
        const auto left = lease->entry->token.expires_at - now_();
        if (left > std::chrono::seconds(2) && !stopped_) {
            Token retry_at = lease->entry->token;
            retry_at.lifetime = left;
            retry_at.expires_at = now_() + left;
            schedule_renewal(*profile, key, retry_at);
        }
    } else {
        service_log()->warn("renewal ahead of expiry failed: {}", lease.error().message);
    }
}

asio::awaitable<Result<std::optional<Token>>> TokenService::forget(const std::string& key) {
    if (const auto it = grants_.find(key); it != grants_.end()) {
        it->second->timer.cancel();
        grants_.erase(it);
    }
    std::optional<Token> forgotten;
    if (auto entry = cache_.peek(key)) {
        forgotten = entry->token;
        cache_.erase(key);
    }
    if (options_.persistence) {
        if (!forgotten) {
            auto stored = co_await options_.persistence->load(key);
            if (stored && *stored) {
                forgotten = std::move(**stored);
            }
        }
        auto erased = co_await options_.persistence->erase(key);
        if (!erased) {
            co_return erased.error();
        }
    }
    co_return forgotten;
}

}  // namespace vegha::oauth
