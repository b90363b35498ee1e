#include "envctl/pack/tar_pack.hpp"

namespace envctl::pack {

// POSIX sh only (no bash, no GNU options): dirname, pwd -P, grep -c, sed s///g, cat, mv.
std::string unpack_script() {
    return R"SH(#!/bin/sh
# envctl-unpack: makes this unpacked environment work where it now lies. It rewrites the text
# files that still name the old location (listed in .envctl-pack/placeholders.txt) and updates
# that list, so it can run again after the environment is moved.
# Binary files with a prefix placeholder need `envctl unpack ARCHIVE -p DEST`: this script
# refuses to start when the environment has any, unless --skip-binary is given (those files
# then keep the old location).
set -eu
LC_ALL=C
export LC_ALL

usage() {
    echo "usage: bin/envctl-unpack [--skip-binary]"
}
skip_binary=no
for argument in "$@"; do
    case "$argument" in
        --skip-binary) skip_binary=yes ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

prefix=$(cd "$(dirname "$0")/.." && pwd -P)
list="$prefix/.envctl-pack/placeholders.txt"
if [ ! -f "$list" ]; then
    echo "envctl-unpack: $list is missing: $prefix is not an unpacked envctl pack" >&2
    exit 2
fi
tab=$(printf '\t')

binary=0
while IFS="$tab" read -r mode placeholder path; do
    if [ "$mode" = binary ] && [ "$placeholder" != "$prefix" ]; then binary=$((binary + 1)); fi
done < "$list"
if [ "$binary" -gt 0 ] && [ "$skip_binary" = no ]; then
    echo "envctl-unpack: $binary file(s) hold a binary prefix placeholder, which this script cannot rewrite" >&2
    echo "envctl-unpack: unpack with \`envctl unpack ARCHIVE -p DEST\`, or run again with --skip-binary to rewrite the text files only" >&2
    exit 3
fi

escape_pattern() {
    printf '%s\n' "$1" | sed -e 's/[]\/$*.^[]/\\&/g'
}
escape_replacement() {
    printf '%s\n' "$1" | sed -e 's/[\/&]/\\&/g'
}
replacement=$(escape_replacement "$prefix")
updated="$list.new"
: > "$updated"
count=0
while IFS="$tab" read -r mode placeholder path; do
    file="$prefix/$path"
    if [ "$mode" = text ] && [ "$placeholder" != "$prefix" ]; then
        pattern=$(escape_pattern "$placeholder")
        sed -e "s/$pattern/$replacement/g" "$file" > "$file.envctl-unpack"
        cat "$file.envctl-unpack" > "$file"
        rm -f "$file.envctl-unpack"
        placeholder=$prefix
        count=$((count + 1))
    fi
    printf '%s\t%s\t%s\n' "$mode" "$placeholder" "$path" >> "$updated"
done < "$list"
mv "$updated" "$list"
echo "envctl-unpack: $count text file(s) rewritten for $prefix"
)SH";
}

}  // namespace envctl::pack
