#pragma once

// The token service's GrantPersistence over the OS keystore (store::TokenStore): grants are
// saved as they are obtained or rotated and come back after a restart or a crash.
//
// The store's calls are synchronous and may block for their own deadlines (a D-Bus call, an
// unlock prompt, an fsync), so they run on one dedicated worker thread, one at a time and in
// the order they were made; the awaiting coroutine resumes on the daemon's I/O executor. Every
// save and erase also has an outer deadline, so a worker stuck in a call cannot hold up the
// I/O thread's callers: they get kKeystoreUnavailable and the token stays in memory.
//
// Thread safety: open() runs before the I/O loop; every other member is called on the I/O
// executor's one thread.

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "oauth/token.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_service.hpp"
#include "store/grant_record.hpp"
#include "store/token_store.hpp"

namespace vegha::daemon {

struct KeystoreOptions {
    store::StoreOptions store;
    // Bound on one save or erase as the caller sees it, time in the worker's queue included.
    std::chrono::milliseconds call_deadline{10000};
};

// How long open() waits for the store to open and its grants to load: every keystore call
// once, a prompt when one may be shown, and some room for the file.
std::chrono::milliseconds open_deadline(const store::StoreOptions& options);

class KeystorePersistence final : public oauth::GrantPersistence {
public:
    // Opens the store on a new worker thread and loads every grant it holds, waiting at most
    // open_deadline(options.store). Blocks the calling thread: call it before the I/O loop
    // runs. Errors are those of store::open_store() and TokenStore::load_all()
    // (kKeystoreUnavailable, kKeystoreLocked, kStoreFailed), and kKeystoreUnavailable when the
    // store did not answer in time. `io` is where awaiting callers resume; its context must
    // outlive the returned object.
    static Result<std::unique_ptr<KeystorePersistence>> open(boost::asio::any_io_executor io,
                                                             const KeystoreOptions& options,
                                                             oauth::Now now);

    // Lets queued writes finish, waiting up to one call deadline, then leaves a worker that
    // is still stuck in a call to end on its own.
    ~KeystorePersistence() override;
    KeystorePersistence(const KeystorePersistence&) = delete;
    KeystorePersistence& operator=(const KeystorePersistence&) = delete;

    // Writes the grant through the worker and waits for the store's verdict. The newest grant
    // is kept in memory whatever the verdict, so a failed write never brings back an older
    // (possibly already rotated) refresh token. A failure is logged once per kind, shown in
    // description(), and returned; the caller keeps serving the token from memory.
    boost::asio::awaitable<Result<void>> save(const std::string& key, const oauth::Profile& profile,
                                              const oauth::Token& token) override;

    // The grant loaded at open() or saved since, from memory: no worker round trip.
    boost::asio::awaitable<Result<std::optional<oauth::Token>>> load(
        const std::string& key) override;

    boost::asio::awaitable<Result<void>> erase(const std::string& key) override;

    // The store's own description, e.g. "secret-service (gnome-keyring, dh-...) + sealed file
    // /home/u/.local/state/vegha-broker/grants.sealed", followed by " (last write failed:
    // <code>)" while the latest write has failed.
    std::string description() const;

    // How many grants open() found in the store.
    std::size_t grants_loaded() const noexcept { return loaded_; }

private:
    struct Worker;

    KeystorePersistence(boost::asio::any_io_executor io, std::shared_ptr<Worker> worker,
                        std::thread thread, std::future<void> thread_done, std::string description,
                        std::chrono::milliseconds call_deadline, oauth::Now now);

    using StoreCall = std::function<Result<void>(store::TokenStore&)>;

    // Runs a copy of `call` on the worker, resuming on the I/O executor with its result or,
    // after call_deadline_, with kKeystoreUnavailable.
    boost::asio::awaitable<Result<void>> on_worker(const StoreCall& call);
    void note_outcome(const char* what, const Result<void>& outcome);

    boost::asio::any_io_executor io_;
    std::shared_ptr<Worker> worker_;
    std::thread thread_;
    std::future<void> thread_done_;
    std::string store_description_;
    std::chrono::milliseconds call_deadline_;
    oauth::Now now_;
    std::map<std::string, store::GrantRecord> records_;  // by grant id
    std::size_t loaded_ = 0;
    std::optional<Errc> last_failure_;
    std::set<Errc> warned_;
    std::shared_ptr<spdlog::logger> log_;
};

// The stored form of a grant, and back. A loaded token's lifetime is what is left of it at
// `now`: the original lifetime is not stored, and renewal is timed from what remains.
store::GrantRecord to_grant_record(const std::string& key, const oauth::Profile& profile,
                                   const oauth::Token& token);
oauth::Token to_token(const store::GrantRecord& record, oauth::Clock::time_point now);

}  // namespace vegha::daemon
