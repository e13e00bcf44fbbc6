-- wrk script: every request carries the session cookie of a token picked
-- at random from a file (one token a line, as `bench/seed -write-tokens`
-- writes them), so a run reads sessions from across the whole store, not
-- one hot row. scripts/bench-scale uses it:
--
--   wrk -t2 -c32 -d10s -s bench/wrk/random-session.lua http://127.0.0.1:18090/api/me -- tokens.txt
--
-- The cookie is the server's name for plain http (tenantkit_session).

local tokens = {}

function init(args)
  local path = args[1] or error("random-session.lua: pass the token file after --")
  for line in io.lines(path) do
    if #line > 0 then
      tokens[#tokens + 1] = "tenantkit_session=" .. line
    end
  end
  if #tokens == 0 then
    error("random-session.lua: no tokens in " .. path)
  end
  -- Each thread its own sequence.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end

function request()
  return wrk.format(nil, nil, { ["Cookie"] = tokens[math.random(#tokens)] })
end
