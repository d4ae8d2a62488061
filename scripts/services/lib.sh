# Shared by the service scripts: one background process per service, tracked by a pid file.

# running PIDFILE -> true while the recorded process lives
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_bg PIDFILE LOG READY-COMMAND... -- COMMAND...: starts COMMAND in the background unless it
# runs already, then waits up to 60 s for READY-COMMAND to succeed (printing the log if it does not).
start_bg() {
  local pidfile=$1 log=$2; shift 2
  local ready=()
  while [ "$1" != "--" ]; do ready+=("$1"); shift; done
  shift
  running "$pidfile" && return 0
  nohup "$@" >"$log" 2>&1 &
  echo $! > "$pidfile"
  # Up to 60 s: a loaded machine (2 cores shared with a test run) can take well over 15.
  local until=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$until" ]; do
    "${ready[@]}" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$* did not become ready in 60 s" >&2
  cat "$log" >&2
  return 1
}

# stop_bg PIDFILE: stops the recorded process, if any, and waits up to 10 s for it to exit (so a
# restart right after finds the port free and no client is still served by the old process).
stop_bg() {
  if [ -s "$1" ]; then
    local pid; pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$1"
  fi
}

# tcp_open PORT: whether something accepts connections on 127.0.0.1:PORT
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
