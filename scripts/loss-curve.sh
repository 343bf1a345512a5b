#!/usr/bin/env bash
# The loss curves behind bench/results/loss/ (README.md there): for `fast`
# and `lan` at N = 16 on the simulator, per loss rate, with the suspicion
# detector (the profiles' default) and without it (--no-suspicion: the
# plain detector, dead after alive-expiration of silence, and a single
# declaration per takeover):
#   churn.jsonl     --scenario churn with almost no churn: false deaths per
#                   hour (false_deaths_per_hour), % of the time without
#                   exactly one leader (leaderless_pct) or without an
#                   agreed leader (unagreed_pct), datagrams per node
#   failover.jsonl  --scenario failover: crash failover p50/p95/p99
# then loss.svg (gnuplot loss.gp).
#
#   LOSS_BENCH=path      lanlord-bench (default: build/bench/lanlord-bench)
#   LOSS_OUT=DIR         output folder (default: bench/results/loss)
#   LOSS_RATES="0 0.05"  loss rates (default: 0 0.01 0.02 0.05 0.1 0.15 0.2)
#   LOSS_CHURN_S=600     simulated seconds of "churn" per point and profile
#                        (lan runs ten times as long: it sends a tenth)
#   LOSS_RUNS=50         failover runs per point
set -euo pipefail
cd "$(dirname "$0")/.."

bench=${LOSS_BENCH:-build/bench/lanlord-bench}
out=${LOSS_OUT:-bench/results/loss}
rates=${LOSS_RATES:-"0 0.01 0.02 0.05 0.1 0.15 0.2"}
churn_s=${LOSS_CHURN_S:-600}
runs=${LOSS_RUNS:-50}
mkdir -p "$out"
: >"$out/churn.jsonl"
: >"$out/failover.jsonl"

# One churn event per ~3 simulated hours: "almost no churn" (the bench
# needs a positive rate), so deaths are false deaths.
for profile in fast lan; do
  duration=$churn_s
  if [ "$profile" = lan ]; then duration=$((churn_s * 10)); fi
  for mode in --suspicion --no-suspicion; do
    for loss in $rates; do
      echo "== $profile $mode loss $loss: churn ${duration}s, failover x$runs ==" >&2
      nice -n 10 "$bench" --transport sim --nodes 16 --profile "$profile" "$mode" \
        --loss "$loss" --scenario churn --churn-rate 0.0001 --churn-duration "${duration}s" \
        --runs 1 --json >>"$out/churn.jsonl" || [ $? -eq 3 ]
      nice -n 10 "$bench" --transport sim --nodes 16 --profile "$profile" "$mode" \
        --loss "$loss" --scenario failover --runs "$runs" --json >>"$out/failover.jsonl" ||
        [ $? -eq 3 ]
    done
  done
done

# The tables loss.gp plots, one per profile and detector.
for profile in fast lan; do
  for on in true false; do
    tag=$([ "$on" = true ] && echo on || echo off)
    jq -r --arg p "$profile" --argjson on "$on" \
      'select(.profile == $p and .suspicion == $on) |
       [.loss, .false_deaths_per_hour, .leaderless_pct, .unagreed_pct] | @tsv' \
      "$out/churn.jsonl" >"$out/churn-$profile-$tag.tsv"
    jq -r --arg p "$profile" --argjson on "$on" \
      'select(.profile == $p and .suspicion == $on) | [.loss, .p50_ms, .p95_ms] | @tsv' \
      "$out/failover.jsonl" >"$out/failover-$profile-$tag.tsv"
  done
done
if command -v gnuplot >/dev/null; then (cd "$out" && gnuplot loss.gp); fi
echo "loss-curve: wrote $out/churn.jsonl, $out/failover.jsonl" >&2
