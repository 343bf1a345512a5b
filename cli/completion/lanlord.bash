# bash completion for lanlord(1); installed as
# share/bash-completion/completions/lanlord. The option lists are each
# command's --help, exactly: tests/cli/check_cli_docs.sh compares them.

# COMPREPLY: compgen's words, one per line (file names may hold blanks).
_lanlord_reply() {
  mapfile -t COMPREPLY < <(compgen "$@")
}

_lanlord() {
  COMPREPLY=()
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  if ((COMP_CWORD > 0)); then
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
  local commands="join watch leader demo keygen run"

  if ((COMP_CWORD == 1)); then
    _lanlord_reply -W "$commands --config --help --version" -- "$cur"
    return
  fi

  local command=${COMP_WORDS[1]} opts=""
  case $command in
    join) opts="--id --cluster --channel --metadata --group --port --peers --no-multicast --advertise --max-unicast-targets --interface --ttl --backend --etcd-endpoints --lease-ttl --etcd-cacert --etcd-cert --etcd-key --etcd-user --etcd-password --profile --heartbeat --alive-expiration --forget-after --startup-grace --sample-interval --leader-alive --election-duration --key-file --encrypt --max-clock-skew --max-members --new-ids-per-second --metrics-listen --json --verbose --config --help" ;;
    run) opts="--kill-timeout --on-exit --id --cluster --channel --metadata --group --port --peers --no-multicast --advertise --max-unicast-targets --interface --ttl --backend --etcd-endpoints --lease-ttl --etcd-cacert --etcd-cert --etcd-key --etcd-user --etcd-password --profile --heartbeat --alive-expiration --forget-after --startup-grace --sample-interval --leader-alive --election-duration --key-file --encrypt --max-clock-skew --max-members --new-ids-per-second --metrics-listen --json --verbose --config --help" ;;
    watch) opts="--cluster --channel --group --port --peers --no-multicast --advertise --max-unicast-targets --interface --ttl --backend --etcd-endpoints --lease-ttl --etcd-cacert --etcd-cert --etcd-key --etcd-user --etcd-password --profile --heartbeat --alive-expiration --forget-after --startup-grace --sample-interval --leader-alive --election-duration --key-file --encrypt --max-clock-skew --max-members --new-ids-per-second --once --wait --metrics-listen --json --verbose --config --help" ;;
    leader) opts="--cluster --channel --group --port --peers --no-multicast --advertise --max-unicast-targets --interface --ttl --backend --etcd-endpoints --lease-ttl --etcd-cacert --etcd-cert --etcd-key --etcd-user --etcd-password --profile --heartbeat --alive-expiration --forget-after --startup-grace --sample-interval --leader-alive --election-duration --key-file --encrypt --max-clock-skew --max-members --new-ids-per-second --wait --json --verbose --config --help" ;;
    demo) opts="--nodes --profile --group --port --json --verbose --help" ;;
    keygen) opts="--output --force --help" ;;
    --config)
      # `lanlord --config FILE [OPTIONS]`: the file names the command.
      if ((COMP_CWORD == 2)); then
        _lanlord_reply -f -- "$cur"
        return
      fi
      opts="--kill-timeout --on-exit --id --cluster --channel --metadata --group --port --peers --no-multicast --advertise --max-unicast-targets --interface --ttl --backend --etcd-endpoints --lease-ttl --etcd-cacert --etcd-cert --etcd-key --etcd-user --etcd-password --profile --heartbeat --alive-expiration --forget-after --startup-grace --sample-interval --leader-alive --election-duration --key-file --encrypt --max-clock-skew --max-members --new-ids-per-second --once --wait --metrics-listen --json --verbose"
      ;;
    *) return ;;
  esac

  # After `run ... --`, the words are the command to run: complete commands
  # and files as the shell would.
  local i
  for ((i = 2; i < COMP_CWORD; ++i)); do
    if [[ ${COMP_WORDS[i]} == -- ]]; then
      _lanlord_reply -c -f -- "$cur"
      return
    fi
  done

  case $prev in
    --profile)
      _lanlord_reply -W "fabric lan fast" -- "$cur"
      return
      ;;
    --on-exit)
      _lanlord_reply -W "exit yield restart" -- "$cur"
      return
      ;;
    --interface)
      _lanlord_reply -W "auto $(ls /sys/class/net 2>/dev/null)" -- "$cur"
      return
      ;;
    --backend)
      _lanlord_reply -W "udp etcd" -- "$cur"
      return
      ;;
    --key-file | --config | --output | --etcd-cacert | --etcd-cert | --etcd-key)
      _lanlord_reply -f -- "$cur"
      return
      ;;
    --id | --cluster | --channel | --metadata | --group | --port | --ttl | --heartbeat | \
      --alive-expiration | --forget-after | --startup-grace | --sample-interval | \
      --leader-alive | --election-duration | --max-clock-skew | --max-members | \
      --new-ids-per-second | --kill-timeout | --wait | --nodes | --metrics-listen | --peers | \
      --advertise | --max-unicast-targets | --etcd-endpoints | --lease-ttl | --etcd-user | \
      --etcd-password)
      return  # a value of the user's own
      ;;
  esac
  _lanlord_reply -W "$opts" -- "$cur"
}
complete -F _lanlord lanlord
