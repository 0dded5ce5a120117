-- wrk script: each request takes the next line of the file given as
-- `paths=FILE` (each thread from a random start), so a run touches many
-- rows instead of one hot one. A line is "PATH" or "PATH<TAB>BODY"; "{n}" in
-- a body becomes a per-request counter. `method=PUT` changes the method.
local paths, method, counter = {}, nil, 0

function init(args)
  for _, a in ipairs(args) do
    local k, v = a:match("^([^=]+)=(.*)$")
    if k == "paths" then
      for line in io.lines(v) do
        if #line > 0 then
          local p, b = line:match("^([^\t]*)\t(.*)$")
          paths[#paths + 1] = { p or line, b }
        end
      end
    elseif k == "method" then
      method = v
    end
  end
  math.randomseed(os.time() + tonumber(tostring(paths):match("0x(%x+)") or "0", 16) % 100000)
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  local e = paths[counter % #paths + 1]
  local body = e[2] and e[2]:gsub("{n}", tostring(counter)) or nil
  return wrk.format(method, e[1], nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
