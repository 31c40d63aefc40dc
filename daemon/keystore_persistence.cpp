#include "daemon/keystore_persistence.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <vector>

#include "core/log.hpp"

namespace vegha::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// The worker thread's own loop and the store it alone touches. Shared with the thread, so a
// worker abandoned in a hung call still owns everything it uses until the call returns.
struct KeystorePersistence::Worker {
    explicit Worker(asio::any_io_executor io_executor) : io(std::move(io_executor)) {}

    // Hands `handler` to the I/O executor, unless the persistence is gone: a worker that
    // finishes a call after shutdown must not post into a context being torn down.
    template <class Handler>
    void deliver(Handler handler) {
        std::lock_guard lock(mutex);
        if (io) {
            asio::post(*io, std::move(handler));
        }
    }

    void disconnect() {
        std::lock_guard lock(mutex);
        io.reset();
    }

    asio::io_context context{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
    std::unique_ptr<store::TokenStore> store;
    std::promise<void> done;

    std::mutex mutex;
    std::optional<asio::any_io_executor> io;
};

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
    const auto tenths = (d.count() + 50) / 100;
    return tenths % 10 == 0 ? std::to_string(tenths / 10)
                            : std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

Error did_not_answer(std::chrono::milliseconds deadline) {
    return make_error(Errc::kKeystoreUnavailable,
                      "the token store did not answer within " + seconds_text(deadline) + " s");
}

// A store call that throws is a bug in the store; it becomes an error value here, on the
// worker, rather than ending the thread and with it every later write.
template <class Call>
auto guarded(Call& call) -> decltype(call()) {
    try {
        return call();
    } catch (const std::exception& e) {
        log::logger("store")->error("the token store failed unexpectedly: {}", e.what());
        return make_error(Errc::kInternal, "the token store failed unexpectedly");
    }
}

// The start of a grant id, enough to tell grants apart in a log.
std::string short_id(const std::string& id) {
    return id.substr(0, 12);
}

}  // namespace

std::chrono::milliseconds open_deadline(const store::StoreOptions& options) {
    auto deadline = 3 * options.call_timeout + std::chrono::milliseconds(5s);
    if (options.interactive) {
        deadline += options.prompt_timeout;
    }
    return deadline;
}

store::GrantRecord to_grant_record(const std::string& key, const oauth::Profile& profile,
                                   const oauth::Token& token) {
    store::GrantRecord record;
    record.id = store::grant_id_for(key);
    record.profile = profile.name;
    record.access_token = token.access_token;
    record.refresh_token = token.refresh_token;
    record.id_token = token.id_token;
    record.token_type = token.token_type;
    record.expires_at = std::chrono::floor<std::chrono::seconds>(token.expires_at);
    record.scope = token.scope.to_string();
    // TODO: the issuer is not known until discovery exists; records carry it empty.
    record.token_endpoint = std::string(profile.token_url.buffer());
    record.client_id = profile.client_id.value;
    return record;
}

oauth::Token to_token(const store::GrantRecord& record, oauth::Clock::time_point now) {
    oauth::Token token;
    token.access_token = record.access_token;
    token.token_type = record.token_type;
    token.refresh_token = record.refresh_token;
    token.id_token = record.id_token;
    token.expires_at = record.expires_at;
    token.lifetime = std::max<oauth::Clock::duration>(token.expires_at - now, {});
    token.lifetime_assumed = false;
    token.scope = oauth::ScopeSet::parse(record.scope);
    return token;
}

Result<std::unique_ptr<KeystorePersistence>> KeystorePersistence::open(
    asio::any_io_executor io, const KeystoreOptions& options, oauth::Now now) {
    struct Opened {
        std::string description;
        std::vector<store::GrantRecord> records;
    };
    auto worker = std::make_shared<Worker>(io);
    std::future<void> thread_done = worker->done.get_future();
    std::thread thread([worker] {
        worker->context.run();
        worker->done.set_value();
    });

    auto opened = std::make_shared<std::promise<Result<Opened>>>();
    auto answer = opened->get_future();
    asio::post(worker->context, [worker, opened, store_options = options.store] {
        auto open_and_load = [&]() -> Result<Opened> {
            auto store = store::open_store(store_options);
            if (!store) {
                return store.error();
            }
            auto records = (*store)->load_all();
            if (!records) {
                return records.error();
            }
            worker->store = std::move(*store);
            return Opened{worker->store->description(), std::move(*records)};
        };
        opened->set_value(guarded(open_and_load));
    });

    const auto deadline = open_deadline(options.store);
    if (answer.wait_for(deadline) != std::future_status::ready) {
        // The worker is stuck in a call the store should have bounded itself; it ends on its
        // own, owning what it uses, and never reports back.
        worker->disconnect();
        worker->work.reset();
        thread.detach();
        return did_not_answer(deadline);
    }
    auto result = answer.get();
    if (!result) {
        worker->work.reset();
        thread.join();
        return result.error();
    }

    std::unique_ptr<KeystorePersistence> persistence(new KeystorePersistence(
        std::move(io), worker, std::move(thread), std::move(thread_done),
        std::move(result->description), options.call_deadline, std::move(now)));
    for (auto& record : result->records) {
        const std::string id = record.id;
        persistence->records_.insert_or_assign(id, std::move(record));
    }
    persistence->loaded_ = persistence->records_.size();
    return persistence;
}

KeystorePersistence::KeystorePersistence(asio::any_io_executor io, std::shared_ptr<Worker> worker,
                                         std::thread thread, std::future<void> thread_done,
                                         std::string description,
                                         std::chrono::milliseconds call_deadline, oauth::Now now)
    : io_(std::move(io)),
      worker_(std::move(worker)),
      thread_(std::move(thread)),
      thread_done_(std::move(thread_done)),
      store_description_(std::move(description)),
      call_deadline_(call_deadline),
      now_(std::move(now)),
      log_(log::logger("store")) {}

KeystorePersistence::~KeystorePersistence() {
    // Writes already queued (a rotated refresh token among them) still reach the store.
    worker_->disconnect();
    worker_->work.reset();
    if (thread_done_.wait_for(call_deadline_) == std::future_status::ready) {
        thread_.join();
    } else {
        log_->warn("the token store did not finish its last writes within {} s; leaving them",
                   seconds_text(call_deadline_));
        thread_.detach();
    }
}

asio::awaitable<Result<void>> KeystorePersistence::on_worker(const StoreCall& call) {
    // Touched on the I/O thread only: the worker hands its outcome over through deliver().
    struct Pending {
        explicit Pending(const asio::any_io_executor& io) : timer(io) {}
        asio::steady_timer timer;
        std::optional<Result<void>> outcome;
    };
    auto pending = std::make_shared<Pending>(io_);
    pending->timer.expires_after(call_deadline_);

    asio::post(worker_->context, [worker = worker_, pending, call]() mutable {
        auto run = [&] { return call(*worker->store); };
        worker->deliver([pending, outcome = guarded(run)]() mutable {
            pending->outcome = std::move(outcome);
            pending->timer.cancel();
        });
    });

    const auto [ec] = co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (pending->outcome) {
        co_return std::move(*pending->outcome);
    }
    if (ec == asio::error::operation_aborted) {
        co_return make_error(Errc::kInternal, "the token store call was abandoned");
    }
    co_return did_not_answer(call_deadline_);
}

void KeystorePersistence::note_outcome(const char* what, const Result<void>& outcome) {
    if (outcome) {
        if (last_failure_) {
            log_->info("the token store accepts writes again");
            last_failure_.reset();
            warned_.clear();
        }
        return;
    }
    const auto& error = outcome.error();
    last_failure_ = error.code;
    // Once per kind of failure: a locked keystore fails every write until it is unlocked,
    // and a warning per request would bury everything else.
    const auto level =
        warned_.insert(error.code).second ? spdlog::level::warn : spdlog::level::debug;
    log_->log(level, "could not {} a grant in the token store; tokens stay in memory only: {}: {}",
              what, errc_name(error.code), error.message);
}

asio::awaitable<Result<void>> KeystorePersistence::save(const std::string& key,
                                                        const oauth::Profile& profile,
                                                        const oauth::Token& token) {
    auto record = to_grant_record(key, profile, token);
    const std::string id = record.id;
    // The newest grant is the one to give back, whether or not the write below succeeds: an
    // older copy could hold a refresh token the provider has already rotated away.
    records_.insert_or_assign(id, record);

    // A named object, not a temporary inside the co_await expression: GCC 12 destroyed that
    // temporary twice (a double free of the record, seen in the keyring tests).
    const StoreCall call = [record = std::move(record)](store::TokenStore& store) {
        return store.save(record);
    };
    auto outcome = co_await on_worker(call);
    note_outcome("save", outcome);
    if (outcome) {
        log_->debug("grant {} for {} saved, fp {}", short_id(id),
                    profile.name.empty() ? "(inline)" : profile.name,
                    token.access_token.fingerprint());
    }
    co_return outcome;
}

asio::awaitable<Result<std::optional<oauth::Token>>> KeystorePersistence::load(
    const std::string& key) {
    const auto found = records_.find(store::grant_id_for(key));
    if (found == records_.end()) {
        co_return std::optional<oauth::Token>();
    }
    co_return std::optional<oauth::Token>(to_token(found->second, now_()));
}

asio::awaitable<Result<void>> KeystorePersistence::erase(const std::string& key) {
    std::string id = store::grant_id_for(key);
    records_.erase(id);
    const StoreCall call = [id](store::TokenStore& store) { return store.erase(id); };
    auto outcome = co_await on_worker(call);
    note_outcome("erase", outcome);
    co_return outcome;
}

std::string KeystorePersistence::description() const {
    if (!last_failure_) {
        return store_description_;
    }
    return store_description_ + " (last write failed: " + std::string(errc_name(*last_failure_)) +
           ")";
}

}  // namespace vegha::daemon
