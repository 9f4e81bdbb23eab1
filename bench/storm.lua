-- The sign-up storm for wrk (bench/storm.py runs it; see bench/README.md).
--
-- One wrk thread per instance (setup() points each thread at its own address). Each thread
-- reads the prepared tokens file (lines "index token"), takes the lines whose index falls to it
-- and sends each resident's one sign-up exactly once. It logs, per thread, when each index was
-- sent and, per answer, when it arrived, its status and the registration id in the body, so
-- that bench/storm.py can take latencies, errors and the first-come-first-served check from the
-- samples themselves (wrk's own histogram would also count nothing else). Once a thread has
-- sent its share its connections wait (delay) and it stops when the last answer is in.
--
--   STORM_ADDRESSES=127.0.0.1:PORT1,127.0.0.1:PORT2 STORM_THREADS=2 \
--   wrk -t 2 -c 200 -d 600s -s bench/storm.lua http://127.0.0.1:PORT1 -- TOKENS LOGDIR PATH
--   (or "-- --health": GET /health on the same connections, the ceiling)

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC, as Python's time.monotonic()
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local threads = 0
local addresses = {}

function setup(thread)
  -- wrk calls setup() before init(); the arguments after "--" are not known here yet, so the
  -- addresses come from the environment bench/storm.py sets.
  if #addresses == 0 then
    for host, port in string.gmatch(os.getenv("STORM_ADDRESSES") or "", "([^,:]+):(%d+)") do
      table.insert(addresses, wrk.lookup(host, port)[1])
    end
  end
  if #addresses > 0 then
    thread.addr = addresses[(threads % #addresses) + 1]
  end
  thread:set("thread_index", threads)
  threads = threads + 1
  thread:set("thread_count", tonumber(os.getenv("STORM_THREADS") or "2"))
end

local tokens = {}
local next_token = 1
local answered = 0
local sent_log, answer_log
local path

local health = false

function init(args)
  if args[1] == "--health" then
    health = true -- the ceiling: GET /health on the same connections, nothing logged
    return
  end
  local file, log_dir = args[1], args[2]
  path = args[3]
  for line in io.lines(file) do
    local index, token = string.match(line, "^(%d+) (%S+)$")
    index = tonumber(index)
    if index % thread_count == thread_index then
      table.insert(tokens, { index, token })
    end
  end
  sent_log = io.open(log_dir .. "/sent-" .. thread_index .. ".log", "w")
  answer_log = io.open(log_dir .. "/answers-" .. thread_index .. ".log", "w")
  -- Line-buffered: a thread that never hears its last answer (a socket error) is ended by wrk's
  -- duration and would otherwise lose what it logged.
  sent_log:setvbuf("line")
  answer_log:setvbuf("line")
end

function delay()
  if health then
    return 0
  end
  if next_token > #tokens then
    -- Every sign-up of this thread is sent: the connection only keeps itself open (a GET
    -- /health every 2 s, under the server's 5 s keep-alive) until the last answers are in.
    return 2000
  end
  return 0
end

-- wrk calls request() once in the first thread's state before the run, to check the script
-- (script_verify_request); what it returns is never sent, so that call takes no token.
local checked = false

function request()
  if not checked and thread_index == 0 then
    checked = true
    return wrk.format("GET", "/health")
  end
  if health then
    return wrk.format("GET", "/health")
  end
  local item = tokens[next_token]
  if item == nil then
    return wrk.format("GET", "/health") -- keeping an idle connection open (see delay)
  end
  next_token = next_token + 1
  sent_log:write(item[1], " ", string.format("%.6f", now()), "\n")
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. item[2],
    ["Idempotency-Key"] = "storm-" .. item[1],
    ["Content-Type"] = "application/json",
  }, '{"party_size":1}')
end

function response(status, headers, body)
  if health then
    return
  end
  local done = now()
  body = body or ""
  if status < 400 and not string.find(body, '"party_size"', 1, true) then
    return -- the answer to a keep-alive GET /health, not to a sign-up
  end
  answered = answered + 1
  local id = string.match(body, '"id":"([0-9a-f%-]+)"') or "-"
  answer_log:write(status, " ", id, " ", string.format("%.6f", done), "\n")
  if answered >= #tokens then
    wrk.thread:stop()
  end
end
