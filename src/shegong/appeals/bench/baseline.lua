-- wrk script: the framework baseline. POST a small JSON body to /livez (web.health: the full middleware
-- stack, no application work, no database) on the same server as the intake run, and count statuses.
-- Environment: SHEGONG_BENCH_REPORT (see report.lua), SHEGONG_BENCH_PATH (default /livez).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local path = os.getenv("SHEGONG_BENCH_PATH") or "/livez"
local request_text

function init(args)
   local headers = {
      ["Host"] = wrk.headers["Host"],
      ["Content-Type"] = "application/json",
      ["X-Forwarded-Proto"] = "https",
   }
   -- built once: the per-request cost in Lua is a function call, like the intake script's at least
   request_text = wrk.format("POST", path, headers, '{"probe":"baseline"}')
end

function request()
   return request_text
end

function response(status, headers, body)
   count(status, body)
end
