-- Batches of 500 new responses, each with a fresh UUID (v4 form), so every POST stores 500
-- rows. The bodies are made in init, before the run, so during it the client only sends;
-- `wrk ... -- N` makes N bodies per thread (more than it can send: no id is sent twice).
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

local rest = '"questionnaire":"every-type","version":1,"answers":{"fits":"no",' ..
  '"why_not":"Nobody asked me","helped":["gp","mentor"],"trust":4}}'
local bodies, sent = {}, 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  for b = 1, tonumber(args[1] or "400") do
    local items = {}
    for i = 1, 500 do
      items[i] = '{"id":"' .. uuid4() .. '",' .. rest
    end
    bodies[b] = '{"responses":[' .. table.concat(items, ",") .. ']}'
  end
end

request = function()
  sent = sent + 1
  if sent > #bodies then
    error("out of prepared batches: give more with -- N")
  end
  return wrk.format("POST", "/api/responses/batch",
    {["Content-Type"] = "application/json"}, bodies[sent])
end
