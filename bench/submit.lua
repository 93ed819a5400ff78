-- One fresh UUID (v4 form) per request, so every POST is a new durable response.
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

request = function()
  local body = '{"id":"' .. uuid4() .. '","questionnaire":"' .. (os.getenv("BENCH_QUESTIONNAIRE") or "every-type") ..
    '","version":1,"answers":' .. (os.getenv("BENCH_ANSWERS") or '{"fits":"yes"}') .. '}'
  return wrk.format(nil, "/api/responses", nil, body)
end

local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
