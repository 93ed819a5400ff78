-- One fresh UUID (v4 form) per response, so every POST stores new durable responses: one
-- per request, or with `wrk ... -- N`, batches of 500 to /api/responses/batch, N of them per
-- thread made in init, before the run (more than it can send: no id is sent twice).
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local hex = "0123456789abcdef"

local function uuid4()
  local t = {}
  for i = 1, 32 do
    local v = math.random(1, 16)
    if i == 13 then v = 5 end             -- version nibble 4
    if i == 17 then v = math.random(9, 12) end -- variant 8..b
    t[i] = hex:sub(v, v)
  end
  local s = table.concat(t)
  return s:sub(1, 8) .. "-" .. s:sub(9, 12) .. "-" .. s:sub(13, 16) .. "-" ..
    s:sub(17, 20) .. "-" .. s:sub(21, 32)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local batch_rest = '"questionnaire":"every-type","version":1,"answers":{"fits":"no",' ..
  '"why_not":"Nobody asked me","helped":["gp","mentor"],"trust":4}}'
local batches, sent = {}, 0

function init(args)
  for b = 1, tonumber(args[1] or "0") do
    local items = {}
    for i = 1, 500 do
      items[i] = '{"id":"' .. uuid4() .. '",' .. batch_rest
    end
    batches[b] = '{"responses":[' .. table.concat(items, ",") .. ']}'
  end
end

local function next_batch()
  sent = sent + 1
  if sent > #batches then
    error("out of prepared batches: give more with -- N")
  end
  return wrk.format(nil, "/api/responses/batch", nil, batches[sent])
end

request = function()
  if #batches > 0 then
    return next_batch()
  end
  local body = '{"id":"' .. uuid4() .. '","questionnaire":"' .. (os.getenv("BENCH_QUESTIONNAIRE") or "every-type") ..
    '","version":1,"answers":' .. (os.getenv("BENCH_ANSWERS") or '{"fits":"yes"}') .. '}'
  return wrk.format(nil, "/api/responses", nil, body)
end

local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
