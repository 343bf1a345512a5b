#!/usr/bin/env bash
# The man page (cli/man/lanlord.1) and the bash completion
# (cli/completion/lanlord.bash) against the program's own --help, so they
# cannot drift: for every command in `lanlord --help`, the long options of
# `lanlord COMMAND --help` must be exactly those of the man page's
# "Options:" paragraph for the command, and of the completion's option list
# for it; the man page's OPTIONS section documents each of them and nothing
# else; the completion completes a value after exactly the options that
# take one. Then the completion is run as bash runs it.
# Usage: check_cli_docs.sh LANLORD MAN_PAGE COMPLETION
set -euo pipefail
lanlord=$1 man=$2 completion=$3
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# Compares two whitespace-separated sets; names what one has and the other
# lacks. In bash alone: starting processes is slow on a loaded machine.
same_set() {  # what, name_a, set_a, name_b, set_b
  local -A in_a=() in_b=()
  local word only_a="" only_b=""
  for word in $3; do in_a[$word]=1; done
  for word in $5; do in_b[$word]=1; done
  for word in "${!in_a[@]}"; do [ -n "${in_b[$word]:-}" ] || only_a+=" $word"; done
  for word in "${!in_b[@]}"; do [ -n "${in_a[$word]:-}" ] || only_b+=" $word"; done
  [ -z "$only_a" ] || fail "$1: in $2, not in $4:$only_a"
  [ -z "$only_b" ] || fail "$1: in $4, not in $2:$only_b"
}

# The man page as plain text for parsing: roff dashes and font changes undone.
man_text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man")

commands=$("$lanlord" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                    on { print $1 }' | tr '\n' ' ')
[ -n "$commands" ] || fail "no commands in lanlord --help"
man_commands=$(awk '/^\.SH COMMANDS/ { on = 1; next } /^\.SH / { on = 0 }
                    on && /^\.SS / { gsub(/"/, ""); print $3 }' <<<"$man_text" | tr '\n' ' ')
same_set "commands" "lanlord --help" "$commands" "the man page's COMMANDS" "$man_commands"
completion_commands=$(sed -n 's/^ *local commands="\(.*\)"$/\1/p' "$completion")
same_set "commands" "lanlord --help" "$commands" "the completion" "$completion_commands"

all_options=""
value_options=""
for command in $commands; do
  help=$("$lanlord" "$command" --help)
  # "  --name ARG   text" or "  -h [ --help ]   text"
  help_options=$(grep -oE '^  (-[a-zA-Z] \[ )?--[a-z0-9-]+' <<<"$help" | grep -oE -- '--[a-z0-9-]+' |
    tr '\n' ' ')
  [ -n "$help_options" ] || fail "$command: no options in its --help"
  all_options+=" $help_options"
  value_options+=" $(grep -oE '^  --[a-z0-9-]+ [A-Z]' <<<"$help" | grep -oE -- '--[a-z0-9-]+' |
    tr '\n' ' ')"

  man_options=$(awk -v cmd="$command" '
      /^\.SS / { gsub(/"/, ""); in_cmd = ($3 == cmd); listing = 0; next }
      /^\.SH / { in_cmd = 0; listing = 0 }
      in_cmd && /^Options:$/ { listing = 1; next }
      listing && /^\./ { listing = 0 }
      listing { print }' <<<"$man_text" | grep -oE -- '--[a-z0-9-]+' | tr '\n' ' ' || true)
  same_set "lanlord $command" "its --help" "$help_options" "the man page" "$man_options"

  completion_options=$(sed -n "s/^ *$command) opts=\"\(.*\)\" ;;\$/\1/p" "$completion")
  same_set "lanlord $command" "its --help" "$help_options" "the completion" "$completion_options"
done

# The man page's OPTIONS section: one .TP entry per option of any command.
documented=$(awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH / { on = 0 }
                  on && tp { print; tp = 0 } on && /^\.TP/ { tp = 1 }' <<<"$man_text" |
  grep -oE -- '--[a-z0-9-]+' | tr '\n' ' ')
same_set "options" "the commands' --help" "$all_options" "the man page's OPTIONS" "$documented"

# The completion offers a value after exactly the options that take one.
completion_values=$(awk '/^  case \$prev in/ { on = 1; next } on && /^  esac/ { exit } on' \
  "$completion" | grep -oE -- '--[a-z0-9-]+' | tr '\n' ' ')
same_set "options with a value" "the commands' --help" "$value_options" \
  "the completion's value cases" "$completion_values"

# The completion as bash runs it.
complete_words() {  # words...; the last is the one being completed
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lanlord
           printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
}
[ "$(complete_words lanlord jo)" = join ] || fail "completion: 'lanlord jo' is not 'join'"
[ "$(complete_words lanlord join --prof)" = --profile ] ||
  fail "completion: 'lanlord join --prof' is not '--profile'"
[ "$(complete_words lanlord join --profile f | tr '\n' ' ')" = "fabric fast " ] ||
  fail "completion: 'lanlord join --profile f' is not 'fabric fast'"
[ -z "$(complete_words lanlord join --id '')" ] || fail "completion: offers words for --id's value"

# The man page formats without warnings.
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
  [ -z "$warnings" ] || fail "groff: $warnings"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures mismatch(es): update cli/man/lanlord.1 and cli/completion/lanlord.bash" >&2
  exit 1
fi
echo "man page and completion match --help: $(wc -w <<<"$commands") commands"
