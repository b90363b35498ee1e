#pragma once
// The configured channel priority in the solver's terms (ops connects config and solve).
#include "envctl/config/config.hpp"
#include "envctl/solve/solver.hpp"

namespace envctl::ops {

inline solve::ChannelPriority solver_priority(config::ChannelPriority priority) {
    switch (priority) {
        case config::ChannelPriority::Strict: return solve::ChannelPriority::Strict;
        case config::ChannelPriority::Flexible: return solve::ChannelPriority::Flexible;
        case config::ChannelPriority::Disabled: return solve::ChannelPriority::Disabled;
    }
    return solve::ChannelPriority::Flexible;
}

}  // namespace envctl::ops
