-- wrk script of scripts/bench (figures 1, 2 and 5). Prints one line `wrk-result: {json}` at the end.
--
--   wrk ... -s bench/wrk.lua URL -- get MERCHANT TOKEN PATH
--       GET PATH with the API's auth headers (figure 1; the hello world gets the same request)
--   wrk ... -s bench/wrk.lua URL -- toggle MERCHANT TOKEN ORDERS_FILE THREADS
--       PUT /api/v0/checkout/orders/{id}/state, {"currentStatus": S}: ORDERS_FILE has one
--       "ORDER_ID NEXT_STATUS" line per order; each wrk thread takes its share of the orders
--       and goes round them, toggling each between processing and checkout (figure 2)
-- The headers are those of a real client: X-Merchant, Authorization, and for a PUT Content-Type.

local threads = {}
local thread_count = 0

function setup(thread)
    thread:set("tid", thread_count)
    thread_count = thread_count + 1
    table.insert(threads, thread)
end

local orders = {}
local position = 0
local prepared -- the one request of "get" mode, built once

function init(args)
    local mode, merchant, token, target = args[1], args[2], args[3], args[4]
    wrk.headers["X-Merchant"] = merchant
    wrk.headers["Authorization"] = "Bearer " .. token
    if mode == "get" then
        prepared = wrk.format("GET", target)
        return
    end
    assert(mode == "toggle", "mode must be get or toggle")
    wrk.headers["Content-Type"] = "application/json"
    local nthreads = tonumber(args[5] or "1")
    local line_number = 0
    for line in io.lines(target) do
        local id, status = line:match("^(%S+)%s+(%S+)$")
        if id then
            if line_number % nthreads == tid then
                table.insert(orders, { id = id, next = status })
            end
            line_number = line_number + 1
        end
    end
    assert(#orders > 0, "no orders for thread " .. tostring(tid))
end

function request()
    if prepared then return prepared end
    position = position % #orders + 1
    local order = orders[position]
    local status = order.next
    order.next = (status == "processing") and "checkout" or "processing"
    return wrk.format("PUT", "/api/v0/checkout/orders/" .. order.id .. "/state", nil,
        '{"currentStatus":"' .. status .. '"}')
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'wrk-result: {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, '
            .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "latency_p50_us": %d, "latency_p99_us": %d, '
            .. '"latency_max_us": %d}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
