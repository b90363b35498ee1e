#include <cstdio>

#include <fmt/core.h>

#include "command.hpp"
#include "output.hpp"

namespace envctl::cli {

void add_version_command(CommandContext context) {
    auto* command = context.app.add_subcommand("version", "Print the envctl version");
    command->callback([&global = context.global, &selected = context.selected] {
        selected = [&global] {
            if (global.json)
                print_json({{"success", true}, {"version", ENVCTL_VERSION}});
            else
                std::fputs(fmt::format("envctl {}\n", ENVCTL_VERSION).c_str(), stdout);
            return exit_codes::ok;
        };
    });
}

}  // namespace envctl::cli
