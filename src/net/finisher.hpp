#pragma once
// Completes file downloads off the multi loop: fsync (milliseconds per file on most disks) and
// the rename into place run on a few worker threads, so one slow disk flush never stalls the
// transfers in flight. Finished transfers come back to the loop thread through take(), which
// the loop calls after the worker woke it.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "transfer.hpp"

namespace envctl::net::detail {

struct Finished {
    std::unique_ptr<Transfer> transfer;
    Result<TransferResult> result;
};

class Finisher {
public:
    using Work = std::function<Result<TransferResult>(Transfer&)>;

    // `wake` is called on a worker thread after each job; it must be thread-safe.
    Finisher(std::size_t threads, std::function<void()> wake);
    Finisher(const Finisher&) = delete;
    Finisher& operator=(const Finisher&) = delete;
    ~Finisher();  // finishes queued jobs, then joins

    void submit(std::unique_ptr<Transfer> transfer, Work work);
    std::vector<Finished> take();
    std::size_t outstanding() const;  // submitted and not yet taken

private:
    void work_loop();

    struct Job {
        std::unique_ptr<Transfer> transfer;
        Work work;
    };
    std::size_t thread_count_;
    std::function<void()> wake_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    std::vector<Finished> done_;
    std::size_t outstanding_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;  // started by the first submit()
};

}  // namespace envctl::net::detail
