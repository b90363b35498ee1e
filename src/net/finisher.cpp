#include "finisher.hpp"

namespace envctl::net::detail {

Finisher::Finisher(std::size_t threads, std::function<void()> wake)
    : thread_count_(std::max<std::size_t>(threads, 1)), wake_(std::move(wake)) {}

Finisher::~Finisher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void Finisher::submit(std::unique_ptr<Transfer> transfer, Work work) {
    {
        std::lock_guard lock(mutex_);
        if (threads_.empty())
            for (std::size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { work_loop(); });
        jobs_.push_back(Job{std::move(transfer), std::move(work)});
        ++outstanding_;
    }
    ready_.notify_one();
}

std::vector<Finished> Finisher::take() {
    std::lock_guard lock(mutex_);
    outstanding_ -= done_.size();
    return std::exchange(done_, {});
}

std::size_t Finisher::outstanding() const {
    std::lock_guard lock(mutex_);
    return outstanding_;
}

void Finisher::work_loop() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and nothing left to do
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        Result<TransferResult> result = fail(ErrorKind::Internal, "download finishing failed");
        try {
            result = job.work(*job.transfer);
        } catch (const std::exception& error) {
            result = fail(ErrorKind::Internal, std::string("download finishing failed: ") + error.what());
        }
        {
            std::lock_guard lock(mutex_);
            done_.push_back(Finished{std::move(job.transfer), std::move(result)});
        }
        wake_();
    }
}

}  // namespace envctl::net::detail
