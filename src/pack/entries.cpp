#include "entries.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "envctl/pack/tar_pack.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

namespace envctl::pack::detail {

namespace {

Error damaged(const Entry& entry, std::string_view actual) {
    return Error{ErrorKind::Integrity,
                 fmt::format("{}: {} has SHA-256 {}, not the {} its package lists", entry.owner, entry.file->path, actual,
                             entry.file->sha256),
                 {},
                 {fmt::format("the package cache entry of {} is damaged; remove it and run again", entry.owner)}};
}

}  // namespace

std::vector<Entry> sorted_entries(const std::vector<std::pair<const PackFile*, std::string>>& files, std::string_view root) {
    std::map<std::string, Entry> by_path;
    auto add_ancestors = [&](std::string_view path) {
        for (auto slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
            std::string directory(path.substr(0, slash));
            by_path.try_emplace(directory, Entry{directory, nullptr, ""});
        }
    };
    const std::string base = root.empty() ? "" : std::string(root) + "/";
    if (!root.empty()) {
        add_ancestors(base);
    }
    for (const auto& [file, owner] : files) {
        std::string path = base + file->path;
        add_ancestors(path);
        by_path.insert_or_assign(path, Entry{path, file, owner});
    }
    std::vector<Entry> entries;
    entries.reserve(by_path.size());
    for (auto& [path, entry] : by_path) entries.push_back(std::move(entry));
    return entries;
}

Status write_entry(TarWriter& tar, const Entry& entry, const std::optional<std::string>& prefix) {
    if (entry.file == nullptr) return tar.add_directory(entry.path);
    const PackFile& file = *entry.file;
    switch (file.type) {
        case PackFile::Type::Directory: return tar.add_directory(entry.path);
        case PackFile::Type::Symlink: return tar.add_symlink(entry.path, file.link_target);
        case PackFile::Type::Regular: break;
    }
    const bool rewrite = prefix && !file.placeholder.empty() && file.placeholder != *prefix;
    if (!file.generated && !rewrite) {
        auto digest = tar.add_file_from(entry.path, file.source, file.executable);
        if (!digest) return fail(std::move(digest.error()));
        if (!file.sha256.empty() && *digest != file.sha256) return fail(damaged(entry, *digest));
        return {};
    }
    std::string data;
    if (file.generated) {
        data = *file.generated;
    } else {
        auto read = read_file(file.source);
        if (!read) return fail(std::move(read.error()));
        data = std::move(*read);
        if (!file.sha256.empty())
            if (const auto digest = sha256_hex(data); digest != file.sha256) return fail(damaged(entry, digest));
    }
    if (rewrite) {
        auto rewritten = rewrite_for_prefix(data, file.placeholder, file.mode, *prefix);
        if (!rewritten)
            return fail(std::move(rewritten.error()).with_context(fmt::format("{}: {}", entry.owner, file.path)));
        data = std::move(*rewritten);
    }
    return tar.add_file(entry.path, data, file.executable);
}

}  // namespace envctl::pack::detail
