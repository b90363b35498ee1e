#pragma once
// A small fixed-size thread pool: jobs run in submission order on `threads` workers; wait()
// returns when every job submitted so far has finished. Jobs must not throw.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace envctl::fetch::detail {

class WorkerPool {
public:
    explicit WorkerPool(std::size_t threads) {
        if (threads == 0) threads = 1;
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    ~WorkerPool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto& worker : workers_) worker.join();
    }

    void submit(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            jobs_.push_back(std::move(job));
            ++unfinished_;
        }
        ready_.notify_one();
    }

    void wait() {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [this] { return unfinished_ == 0; });
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
            std::lock_guard lock(mutex_);
            if (--unfinished_ == 0) idle_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable idle_;
    std::deque<std::function<void()>> jobs_;
    std::size_t unfinished_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace envctl::fetch::detail
