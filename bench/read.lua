-- bench/read.lua — the wrk script of bench/read (read bench/README.md).
--
--   wrk -t T -c C -d D -s bench/read.lua URL -- MODE TARGETS THINK_MS [FROM]
--
-- MODE      "series": GET /api/v1/services/{slug}/series?step=1m (the last 24 h, from the
--           Redis minute buckets, with the baseline learnt from the Postgres rollups);
--           "cold": GET /api/v1/services/{slug}/series?step=1h&from=FROM (30 days: rollups);
--           "map-all": GET /api/v1/map?window=1h;
--           "map-one": GET /api/v1/map?window=1h&service={slug};
--           "healthz": GET /healthz (the baseline: same Lua work per request).
-- TARGETS   a Lua file that sets the global `targets` to a list of slugs; each thread starts
--           at its own place in the list and takes the next slug for every request.
-- THINK_MS  mean pause of a connection between an answer and its next request (random,
--           exponential), 0 for none. With C connections and latencies well under the pause,
--           the offered load is about C * 1000 / THINK_MS requests per second: a moderate,
--           fixed load instead of wrk's "as fast as possible". wrk's latency does not
--           include the pause.
-- FROM      "cold" only: the start of the range (RFC 3339).
--
-- done() prints machine-readable lines starting with "DWBENCH " for bench/read:
--   DWBENCH requests=… duration_us=… rps=… p50_us=… p90_us=… p99_us=… max_us=… mean_us=…
--   DWBENCH sent=… status_200=… (one per status seen)
--   DWBENCH errors connect=… read=… write=… status=… timeout=…


-- setup() and done() come from bench/wrk_common.lua, shared with the other scripts.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

local mode, think, from
local n = 0
local statuses = {}

function init(args)
  mode = args[1] or "healthz"
  think = tonumber(args[3] or "0")
  from = args[4]
  if mode ~= "healthz" and mode ~= "map-all" then
    if args[2] == nil then
      error("mode " .. mode .. " needs the targets file as its 2nd argument")
    end
    dofile(args[2])
    if targets == nil or #targets == 0 then
      error("the targets file " .. args[2] .. " set no targets")
    end
  end
  if mode == "cold" and from == nil then
    error("cold mode needs FROM as its 4th argument")
  end
  -- Spread the threads over the list; seed the pauses per thread.
  n = math.floor(tid * (targets and #targets or 1) / 7)
  math.randomseed(1000 + tid)
  dw_statuses = statuses
end

local function slug()
  return targets[(n % #targets) + 1]
end

function request()
  n = n + 1
  dw_sent = (dw_sent or 0) + 1
  local path
  if mode == "series" then
    path = "/api/v1/services/" .. slug() .. "/series?step=1m"
  elseif mode == "cold" then
    path = "/api/v1/services/" .. slug() .. "/series?step=1h&from=" .. from
  elseif mode == "map-all" then
    path = "/api/v1/map?window=1h"
  elseif mode == "map-one" then
    path = "/api/v1/map?window=1h&service=" .. slug()
  elseif mode == "healthz" then
    path = "/healthz"
  else
    error("unknown mode " .. tostring(mode))
  end
  return wrk.format("GET", path)
end

function delay()
  if think <= 0 then
    return 0
  end
  return math.floor(-math.log(1 - math.random()) * think)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

