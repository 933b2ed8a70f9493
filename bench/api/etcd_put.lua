-- wrk script: etcd v3 JSON gateway puts (POST /v3/kv/put), a distinct key per
-- request, 64-byte value: the peer of upsert.lua (bench/api/run.sh).
-- Keys and values are written directly in base64's alphabet (the gateway
-- takes base64 bytes), so no encoding is needed per request.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  sent = 0
  value = string.rep("dnZ2", 22)  -- 88 base64 chars = 66 bytes
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  sent = sent + 1
  local key = string.format("k%03d%012d", tid, sent)  -- 16 chars: a multiple of 4
  return wrk.format("POST", "/v3/kv/put", headers,
                    '{"key":"' .. key .. '","value":"' .. value .. '"}')
end
