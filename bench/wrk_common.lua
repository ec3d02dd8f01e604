-- bench/wrk_common.lua — what every bench wrk script shares, loaded with dofile by
-- bench/ingest.lua, bench/read.lua and bench/outage-day.lua: xff() numbers client addresses;
-- setup() numbers the threads (`tid`, from 0) and keeps
-- them; done() sums their counters (`dw_sent`, `dw_statuses`) and prints machine-readable
-- lines:
--   DWBENCH requests=… duration_us=… rps=… p50_us=… p90_us=… p99_us=… max_us=… mean_us=…
--   DWBENCH sent=… status_200=… (one per status seen; from each thread's dw_sent and
--     dw_statuses)
--   DWBENCH errors connect=… read=… write=… status=… timeout=…

local threads = {}

-- The client address of report number `index` (X-Forwarded-For, in 10.0.0.0/8): scripts
-- give every request its own, so that every report is a new reporter.
function xff(index)
  local a = math.floor(index / 65536) % 256
  local b = math.floor(index / 256) % 256
  local c = index % 256
  return "10." .. a .. "." .. b .. "." .. c
end

-- Runs in wrk's main Lua state, once per thread, before the thread starts.
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Runs in the main state after the run.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format(
    "DWBENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  local total_sent = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + (thread:get("dw_sent") or 0)
    local st = thread:get("dw_statuses") or {}
    for code, count in pairs(st) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local codes = {}
  for code, _ in pairs(by_status) do table.insert(codes, code) end
  table.sort(codes)
  local parts = { "DWBENCH sent=" .. total_sent }
  for _, code in ipairs(codes) do
    table.insert(parts, "status_" .. code .. "=" .. by_status[code])
  end
  io.write(table.concat(parts, " ") .. "\n")
  local e = summary.errors
  io.write(string.format("DWBENCH errors connect=%d read=%d write=%d status=%d timeout=%d\n",
    e.connect, e.read, e.write, e.status, e.timeout))
end
