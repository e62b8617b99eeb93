-- Shared by intake.lua and baseline.lua (loaded with dofile): numbers each thread, counts statuses per
-- thread, and in done() writes one report file that shegong.appeals.bench.results reads:
--   summary {"requests": …, "duration_us": …, socket errors, latency percentiles in µs}
--   status <code> <count>            one line per status and thread
--   ack <source_ref> <tracking_no>   every 201 (intake only)
--   sample <source_ref> <corpus line number>   the first and every SHEGONG_BENCH_SAMPLE_EVERY-th request
--                                              of each thread (intake only)
--   failure <status> <body>          the first few non-2xx answers of each thread, for the operator
-- wrk threads have separate Lua states: counters live in each thread's globals and done(), which runs in
-- the main state, collects them with thread:get().

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

statuses, acked, samples, failures = {}, {}, {}, {}
local max_failures = 3

function count(status, body)
   statuses[status] = (statuses[status] or 0) + 1
   if (status < 200 or status > 299) and #failures < max_failures then
      failures[#failures + 1] = status .. " " .. string.gsub(body or "", "[\r\n]", " ")
   end
end

local function int(value)
   return math.floor(tonumber(value) or 0)
end

function done(summary, latency, requests)
   local f = assert(io.open(assert(os.getenv("SHEGONG_BENCH_REPORT"), "SHEGONG_BENCH_REPORT unset"), "w"))
   local e = summary.errors
   f:write(string.format(
      'summary {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
         .. '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %d}\n',
      int(summary.requests), int(summary.duration), int(e.connect), int(e.read), int(e.write),
      int(e.status), int(e.timeout), int(latency:percentile(50)), int(latency:percentile(90)),
      int(latency:percentile(99)), int(latency.max), int(latency.mean)))
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         f:write("status ", status, " ", n, "\n")
      end
      for _, line in ipairs(thread:get("acked")) do
         f:write("ack ", line, "\n")
      end
      for _, line in ipairs(thread:get("samples")) do
         f:write("sample ", line, "\n")
      end
      for _, line in ipairs(thread:get("failures")) do
         f:write("failure ", line, "\n")
      end
   end
   f:close()
end
