#!/bin/sh
# stripped_variants.sh BINARY OUTDIR: the three ways a stripped program's
# symbols are found elsewhere, for symbols_spec:
#   OUTDIR/NAME_mini    stripped, with MiniDebugInfo in .gnu_debugdata (as Fedora ships)
#   OUTDIR/NAME_linked  stripped, .gnu_debuglink to OUTDIR/NAME_linked.debug
#   OUTDIR/NAME_bare    stripped, nothing but its build-id; the debug file
#                       is OUTDIR/debuginfod/NAME.debug, for a debuginfod server
set -eu
bin=$1
out=$2
name=$(basename "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
objcopy --only-keep-debug "$bin" "$tmp/$name.debug"
# MiniDebugInfo: the function symbols .dynsym lacks, xz-compressed.
nm -D "$bin" --format=posix --defined-only | awk '{ print $1 }' | sort > "$tmp/dynsyms"
nm "$bin" --format=posix --defined-only | awk '{ if ($2 == "T" || $2 == "t" || $2 == "D") print $1 }' | sort > "$tmp/funcsyms"
comm -13 "$tmp/dynsyms" "$tmp/funcsyms" > "$tmp/keep"
objcopy -S --remove-section .gdb_index --remove-section .comment --keep-symbols="$tmp/keep" \
  "$tmp/$name.debug" "$tmp/mini"
xz -f "$tmp/mini"
strip --strip-all -o "$out/${name}_mini" "$bin"
objcopy --add-section .gnu_debugdata="$tmp/mini.xz" "$out/${name}_mini"
# .gnu_debuglink: the debug file beside the program.
cp "$tmp/$name.debug" "$out/${name}_linked.debug"
strip --strip-all -o "$out/${name}_linked" "$bin"
objcopy --add-gnu-debuglink="$out/${name}_linked.debug" "$out/${name}_linked"
# build-id only: for debuginfod.
strip --strip-all -o "$out/${name}_bare" "$bin"
mkdir -p "$out/debuginfod"
cp "$tmp/$name.debug" "$out/debuginfod/$name.debug"
