-- A mix of pages for `wrk` against `signpost serve` (see BENCHMARKS.md, "Under HTTP
-- load"): home, search pages (words, postcode district, filters, nearest first),
-- listing pages and JSON API calls. Each wrk thread walks the list from its own
-- starting point, so the connections are not all asking the same thing at once.
--
--   wrk -t2 -c64 -d60s --latency -s benches/load/mix.lua http://127.0.0.1:8080
local words = { "walking", "chair yoga", "lonely", "knittin", "choir", "memory cafe",
  "mens shed", "dementia", "gardening", "dance", "swimming", "befriending", "low mood",
  "exercise", "coffee morning", "art group", "book club", "food bank", "tai chi",
  "walking football", "carers support", "bereavement", "cooking", "computer help",
  "volunteering" }
local places = { "M33", "LS6", "BS3", "NE1", "B15", "SW9", "EH6", "CF10", "NG7", "L8",
  "S10", "OX4", "YO10", "PL4", "IP1", "AB10", "G12", "N16", "E8", "CB1" }
local listings = tonumber(os.getenv("LISTINGS") or "1000000")

local paths = {}
local function enc(s) return (s:gsub(" ", "+")) end
for i = 1, 400 do
  local w = enc(words[(i % #words) + 1])
  local p = places[(i * 7 % #places) + 1]
  local kind = i % 10
  if kind == 0 then
    paths[#paths + 1] = "/"
  elseif kind <= 2 then
    paths[#paths + 1] = "/search?q=" .. w
  elseif kind <= 4 then
    paths[#paths + 1] = "/search?q=" .. w .. "&near=" .. p .. "&within=10"
  elseif kind == 5 then
    paths[#paths + 1] = "/search?q=" .. w .. "&near=" .. p .. "&within=10&free=yes&day=tue&time=morning"
  elseif kind == 6 then
    paths[#paths + 1] = "/search?near=" .. p .. "&within=10&sort=distance"
  elseif kind <= 8 then
    paths[#paths + 1] = "/listings/" .. ((i * 2654435761) % listings + 1)
  else
    paths[#paths + 1] = "/api/search?q=" .. w .. "&near=" .. p
  end
end

local counter = 0
function setup(thread)
  thread:set("offset", counter * 37)
  counter = counter + 1
end

local n = 0
function request()
  n = n + 1
  local path = paths[((offset or 0) + n) % #paths + 1]
  return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip, br" })
end

local errors = 0
function response(status, headers, body)
  if status >= 400 then errors = errors + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx/3xx %d, socket errors %d/%d/%d/%d\n",
    summary.requests, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
