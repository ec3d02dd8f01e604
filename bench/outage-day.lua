-- bench/outage-day.lua — the wrk script of bench/outage-day (read bench/README.md).
--
--   wrk -t 1 -c C -d D -s bench/outage-day.lua URL -- KIND ARG BASE THINK_MS
--
-- KIND "get": GET ARG (a path), as a browser asks for it: Accept-Encoding gzip and
--      Accept-Language en. The same headers for /healthz, so that wrk does the same work.
--      "report": POST /api/v1/reports for the service ARG ("slug:symptom,symptom,…"), one
--      report per request, each with its own X-Forwarded-For in 10.0.0.0/8 from address
--      index BASE up (bench/outage-day gives every wrk process a disjoint range), so that
--      every report is a new reporter: nothing is deduplicated or rate-limited.
-- THINK_MS  mean pause of a connection between an answer and its next request (0 = none:
--      a closed loop at the most the server does); paced runs measure latency at a
--      given load.
--
-- done() prints the DWBENCH lines of bench/wrk_common.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

local kind, arg, base, think
local n = 0
local sent = 0
local statuses = {}
local bodies = {}

function init(args)
  kind = args[1] or "get"
  arg = args[2] or "/healthz"
  base = tonumber(args[3] or "0")
  think = tonumber(args[4] or "0")
  if kind == "report" then
    local slug, symptoms = arg:match("^([^:]+):(.+)$")
    if slug == nil then
      error("report needs slug:symptom,symptom as its argument, not " .. arg)
    end
    for symptom in symptoms:gmatch("[^,]+") do
      table.insert(bodies, '{"service":"' .. slug .. '","symptoms":["' .. symptom .. '"]}')
    end
  elseif kind ~= "get" then
    error("unknown kind " .. tostring(kind) .. " (get or report)")
  end
  math.randomseed(base + 1)
  dw_statuses = statuses
end

function delay()
  if think <= 0 then
    return 0
  end
  -- Exponential pauses around the mean: arrivals closer to a crowd's than a metronome's.
  return math.floor(-think * math.log(1 - math.random()))
end

function request()
  n = n + 1
  sent = sent + 1
  dw_sent = sent
  if kind == "get" then
    return wrk.format("GET", arg, {
      ["Accept-Encoding"] = "gzip",
      ["Accept-Language"] = "en",
    })
  end
  return wrk.format("POST", "/api/v1/reports", {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = xff(base + n),
  }, bodies[(n % #bodies) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
