-- wrk script of scripts/bench (the overload figure): GET PATH with the API's auth headers, as
-- bench/wrk.lua's "get" mode, counting the answers by status. Prints one line
-- `wrk-overload: {json}` at the end.
--
--   wrk -c5000 ... -s bench/overload.lua URL -- MERCHANT TOKEN PATH
--
-- "ok" is 2xx, "unavailable" 503 (the in-flight cap's quick refusal), "other" any other status;
-- the socket errors (connect, read, write, timeout) are wrk's own counts.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

local prepared

function init(args)
    local merchant, token, target = args[1], args[2], args[3]
    wrk.headers["X-Merchant"] = merchant
    wrk.headers["Authorization"] = "Bearer " .. token
    prepared = wrk.format("GET", target)
    ok, unavailable, other = 0, 0, 0
end

function request()
    return prepared
end

function response(status, headers, body)
    if status >= 200 and status < 300 then
        ok = ok + 1
    elseif status == 503 then
        unavailable = unavailable + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local ok_total, unavailable_total, other_total = 0, 0, 0
    for _, thread in ipairs(threads) do
        ok_total = ok_total + thread:get("ok")
        unavailable_total = unavailable_total + thread:get("unavailable")
        other_total = other_total + thread:get("other")
    end
    local e = summary.errors
    io.write(string.format(
        'wrk-overload: {"requests": %d, "duration_us": %d, "ok": %d, "unavailable": %d, "other_status": %d, '
            .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
            .. '"latency_p50_us": %d, "latency_p99_us": %d, "latency_max_us": %d}\n',
        summary.requests, summary.duration, ok_total, unavailable_total, other_total,
        e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
