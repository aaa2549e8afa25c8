#!/usr/bin/env bash
# Stops what start-control-plane.sh DIR started (listed in DIR/pids): SIGTERM to the script, which stops
# its components; any component still there after 10 s gets SIGKILL. Only processes that are still the
# ones recorded (same command) are signalled. DIR itself is left in place.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
pids_file=$1/pids
[[ -f $pids_file ]] || exit 0

ours() { # ours NAME PID: PID is still that process
  local cmdline
  cmdline=$({ tr '\0' ' ' < "/proc/$2/cmdline"; } 2> /dev/null) || return 1
  if [[ $1 == script ]]; then [[ $cmdline == *start-control-plane.sh* ]]; else [[ $cmdline == *"/$1 "* ]]; fi
}
live=()
while read -r name pid; do
  [[ -n $pid ]] && ours "$name" "$pid" && live+=("$name:$pid")
done < "$pids_file"

for entry in "${live[@]}"; do [[ ${entry%%:*} == script ]] && kill -TERM "${entry#*:}" 2> /dev/null || true; done
for i in $(seq 100); do
  any=0
  for entry in "${live[@]}"; do ours "${entry%%:*}" "${entry#*:}" && any=1; done
  ((any)) || exit 0
  sleep 0.1
  if ((i == 30)); then # the script did not take them down: ask them directly
    for entry in "${live[@]}"; do ours "${entry%%:*}" "${entry#*:}" && kill -TERM "${entry#*:}" 2> /dev/null || true; done
  fi
done
for entry in "${live[@]}"; do ours "${entry%%:*}" "${entry#*:}" && kill -KILL "${entry#*:}" 2> /dev/null || true; done
exit 0
