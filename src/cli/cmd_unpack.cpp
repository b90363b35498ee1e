// envctl unpack ARCHIVE -p DEST [--json]
// Extracts a pack made by `envctl pack --format tar` and rewrites its prefix placeholders
// (text and binary) for DEST; docs/packing.md.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "envctl/pack/tar_pack.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct UnpackOptions {
    std::string archive;
    std::string prefix;
};

int run_unpack(const GlobalOptions& global, const UnpackOptions& options) {
    auto report = pack::unpack(options.archive, options.prefix);
    if (!report) return report_error(global, report.error());
    if (global.json) {
        print_json({{"success", true}, {"prefix", report->prefix.string()}, {"entries", report->entries},
                    {"text_rewritten", report->text_rewritten}, {"binary_rewritten", report->binary_rewritten}});
    } else if (!global.quiet) {
        std::fputs(fmt::format("Unpacked {} entries into {} ({} text and {} binary files rewritten for it)\n", report->entries,
                               report->prefix.string(), report->text_rewritten, report->binary_rewritten)
                       .c_str(),
                   stdout);
    }
    return exit_codes::ok;
}

}  // namespace

void add_unpack_command(CommandContext context) {
    auto options = std::make_shared<UnpackOptions>();
    auto* command = context.app.add_subcommand("unpack", "Unpack an environment made by `envctl pack --format tar` at a new location");
    command->add_option("archive", options->archive, "The pack (*.tar.zst, *.tar.gz or *.tar)")->required();
    command->add_option("-p,--prefix", options->prefix, "Where the environment goes (a new or empty folder)")->required();
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_unpack(*global, *options); };
    });
}

}  // namespace envctl::cli
