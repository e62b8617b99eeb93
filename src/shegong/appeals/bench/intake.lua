-- wrk script: POST realistic appeals to the intake API, each with a unique Idempotency-Key and source_ref.
-- Environment (set by shegong.appeals.bench.load):
--   SHEGONG_BENCH_TOKEN    the platform account's bearer token
--   SHEGONG_BENCH_CORPUS   corpus file (corpus.py): one JSON body per line, closing brace cut off
--   SHEGONG_BENCH_TAG      prefix of this run's references, unique per run and phase
--   SHEGONG_BENCH_PATH     the endpoint (default /api/v1/appeals)
--   SHEGONG_BENCH_SAMPLE_EVERY, SHEGONG_BENCH_REPORT   see report.lua
-- A reference is <tag>-<thread>-<n>: unique without coordination between threads. The 201 body names the
-- source_ref and the tracking number, so the acknowledgement is matched to its request without knowing
-- which connection it came back on.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local token = assert(os.getenv("SHEGONG_BENCH_TOKEN"), "SHEGONG_BENCH_TOKEN unset")
local corpus_path = assert(os.getenv("SHEGONG_BENCH_CORPUS"), "SHEGONG_BENCH_CORPUS unset")
local tag = os.getenv("SHEGONG_BENCH_TAG") or "r"
local path = os.getenv("SHEGONG_BENCH_PATH") or "/api/v1/appeals"
local sample_every = tonumber(os.getenv("SHEGONG_BENCH_SAMPLE_EVERY") or "250")

local corpus = {}
local n = 0

function init(args)
   for line in io.lines(corpus_path) do
      if line ~= "" then
         corpus[#corpus + 1] = line
      end
   end
   assert(#corpus > 0, "empty corpus " .. corpus_path)
   math.randomseed(id * 7919)
end

function request()
   n = n + 1
   local ref = tag .. "-" .. id .. "-" .. n
   local index = math.random(#corpus)
   if n == 1 or n % sample_every == 0 then
      samples[#samples + 1] = ref .. " " .. index
   end
   local headers = {
      ["Host"] = wrk.headers["Host"],
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = ref,
      ["X-Forwarded-Proto"] = "https", -- as nginx sends it; production redirects plain HTTP otherwise
   }
   return wrk.format("POST", path, headers, corpus[index] .. ',"source_ref":"' .. ref .. '"}')
end

function response(status, headers, body)
   count(status, body)
   if status == 201 then
      local ref = body:match('"source_ref":%s*"([^"]*)"')
      local number = body:match('"tracking_no":%s*"([^"]*)"')
      acked[#acked + 1] = (ref or "?") .. " " .. (number or "?")
   end
end
