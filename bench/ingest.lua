-- bench/ingest.lua — the wrk script of bench/ingest (read bench/README.md).
--
--   wrk -t T -c C -d D -s bench/ingest.lua URL -- MODE THREADS BASE [TARGETS]
--
-- MODE     "ingest": POST /api/v1/reports, one report per request;
--          "healthz": GET /healthz (the baseline: same Lua work per request).
-- THREADS  the -t given to wrk (the stride between the threads' address counters).
-- BASE     the first address index of this run (bench/ingest gives the warm-up and the
--          measured run disjoint ranges, so no reporter is ever seen twice).
-- TARGETS  ingest only: a Lua file that sets the global `targets` to a list of
--          {service = "netflix", symptom = "login"} (bench/ingest writes it after checking
--          that each pair is accepted).
--
-- Every ingest request carries its own X-Forwarded-For in 10.0.0.0/8: request n of thread
-- t (from 1) uses address index BASE + n * THREADS + (t - 1), so no two requests of a run
-- share a client address, and the server (which trusts X-Forwarded-For from 127.0.0.1)
-- sees a new reporter each time: nothing is rate-limited or deduplicated. The addresses
-- only ever appear in that header; every packet goes to the loopback URL given to wrk.
--
-- done() prints machine-readable lines starting with "DWBENCH " for bench/ingest:
--   DWBENCH requests=… duration_us=… rps=… p50_us=… p90_us=… p99_us=… max_us=… mean_us=…
--   DWBENCH sent=… (requests written, all threads) status_202=… (one per status seen)
--   DWBENCH errors connect=… read=… write=… status=… timeout=…


-- setup() and done() come from bench/wrk_common.lua, shared with the other scripts.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

local mode, stride, base
local n = 0        -- requests this thread has built
local sent = 0     -- the same, kept for done()
local statuses = {} -- status code -> responses seen by this thread
local bodies = {}  -- ingest: one ready-made JSON body per target
local path_ingest = "/api/v1/reports"

-- Runs in each thread's own Lua state.
function init(args)
  mode = args[1] or "ingest"
  stride = tonumber(args[2] or "1")
  base = tonumber(args[3] or "0")
  if mode == "ingest" then
    if args[4] == nil then
      error("ingest mode needs the targets file as its 4th argument")
    end
    dofile(args[4])
    if targets == nil or #targets == 0 then
      error("the targets file " .. args[4] .. " set no targets")
    end
    for i, t in ipairs(targets) do
      bodies[i] = '{"service":"' .. t.service .. '","symptoms":["' .. t.symptom .. '"]}'
    end
  elseif mode ~= "healthz" then
    error("unknown mode " .. tostring(mode) .. " (ingest or healthz)")
  end
  -- Globals so that done() can read them with thread:get().
  dw_statuses = statuses
end

function request()
  n = n + 1
  sent = sent + 1
  dw_sent = sent
  if mode == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  local index = base + (n - 1) * stride + tid
  local body = bodies[((n + tid - 1) % #bodies) + 1]
  return wrk.format("POST", path_ingest, {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = xff(index),
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

