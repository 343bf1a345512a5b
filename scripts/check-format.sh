#!/usr/bin/env bash
# Fails, listing the files, when tracked C++ sources drift from .clang-format.
# Uses Debian's clang-format-14 (DECISIONS.md): another version formats
# differently. Generated code (Cap'n Proto's *.capnp.h / *.capnp.c++) is
# never tracked; build trees are not looked at.
#   scripts/check-format.sh          check; exit 1 and list drifting files
#   scripts/check-format.sh --fix    reformat the drifting files in place
set -euo pipefail
cd "$(dirname "$0")/.."

formatter=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$formatter" >/dev/null; then
  echo "check-format: $formatter not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

# Tracked files when this is a git checkout, else every source outside build trees.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' | grep -v '\.capnp\.h$' || true)
else
  mapfile -t files < <(find . -path './build*' -prune -o -path './.git' -prune -o \
    \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) ! -name '*.capnp.h' -print | sed 's|^\./||' | sort)
fi

present=()
for f in "${files[@]}"; do
  [ -f "$f" ] && present+=("$f")  # not those deleted but not yet committed
done
files=("${present[@]}")

# One run over all files; each drift is reported as "file:line:col: error: ...".
rc=0
report=$("$formatter" --style=file --dry-run --Werror "${files[@]}" 2>&1 >/dev/null) || rc=$?
mapfile -t drift < <(grep -oE '^[^:]+:[0-9]+:[0-9]+: error: code should be clang-formatted' \
  <<<"$report" | cut -d: -f1 | sort -u)
if [ "$rc" -ne 0 ] && [ ${#drift[@]} -eq 0 ]; then
  echo "check-format: $formatter failed:" >&2
  echo "$report" >&2
  exit 2
fi

if [ ${#drift[@]} -eq 0 ]; then
  echo "check-format: ${#files[@]} files match .clang-format"
  exit 0
fi
if [ "${1:-}" = --fix ]; then
  "$formatter" --style=file -i "${drift[@]}"
  printf 'check-format: reformatted %s\n' "${drift[@]}"
  exit 0
fi
echo "check-format: ${#drift[@]} of ${#files[@]} files drift from .clang-format:" >&2
printf '  %s\n' "${drift[@]}" >&2
echo "fix with: $formatter -i <file>  (or scripts/check-format.sh --fix)" >&2
exit 1
