// The Lua code run once in each VM after the libraries open: Lua 5.1 / LuaJIT names fengari
// (Lua 5.3) lacks, and coroutine.resume / coroutine.wrap that pass an API's yield (the
// lightuserdata the bridge yields with) up to the entry thread, so ngx.sleep, cosockets and
// friends work inside coroutines a handler makes.
export const PRELUDE: string = `
local MARK = ...
unpack = table.unpack
loadstring = load
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod
table.getn = function(t) return #t end
table.maxn = function(t)
  local n = 0
  for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end
  return n
end
-- Lua 5.1's getfenv / setfenv over 5.3's _ENV: a function's environment is its _ENV upvalue
-- (a handler's main chunk keeps it in a local _ENV); setfenv gives the function a fresh _ENV
-- upvalue of its own, so the functions that shared the old one keep it.
local G = _G
local getinfo, getlocal, setlocal = debug.getinfo, debug.getlocal, debug.setlocal
local getupvalue, upvaluejoin = debug.getupvalue, debug.upvaluejoin
local function argerr(n, msg)
  local ar = getinfo(2, 'n')
  error(("bad argument #%d to '%s' (%s)"):format(n, ar and ar.name or '?', msg), 3)
end
local function typename(v, n, argc)
  if n > argc then return 'no value' end
  return type(v)
end
local function envindex(f)
  local i = 1
  while true do
    local name = getupvalue(f, i)
    if name == nil then return nil end
    if name == '_ENV' then return i end
    i = i + 1
  end
end
local function localenv(level)
  local i = 1
  while true do
    local name = getlocal(level + 1, i)
    if name == nil then return nil end
    if name == '_ENV' then return i end
    i = i + 1
  end
end
getfenv = function(...)
  local argc, v = select('#', ...), ...
  if v == nil then v = 1 end
  local f = v
  if type(v) ~= 'function' then
    v = tonumber(v)
    if v == nil then argerr(1, 'number expected, got ' .. typename(f, 1, argc)) end
    if v < 0 then argerr(1, 'invalid level') end
    if v == 0 then return G end
    local ar = getinfo(v + 1, 'f')
    if ar == nil then argerr(1, 'invalid level') end
    f = ar.func
    local i = localenv(v + 1)
    if i ~= nil then return select(2, getlocal(v + 1, i)) end
  end
  local i = envindex(f)
  if i == nil then return G end
  return select(2, getupvalue(f, i))
end
setfenv = function(...)
  local argc, v, env = select('#', ...), ...
  local f = v
  local level
  if type(v) ~= 'function' then
    v = tonumber(v)
    if v == nil then argerr(1, 'number expected, got ' .. typename(f, 1, argc)) end
    if v < 0 then argerr(1, 'invalid level') end
    if type(env) ~= 'table' then argerr(2, 'table expected, got ' .. typename(env, 2, argc)) end
    -- the thread's global environment is the VM's: nresty cannot swap it per thread
    if v == 0 then error("'setfenv' cannot change environment of given object", 2) end
    local ar = getinfo(v + 1, 'f')
    if ar == nil then argerr(1, 'invalid level') end
    f = ar.func
    level = v + 1
  elseif type(env) ~= 'table' then
    argerr(2, 'table expected, got ' .. typename(env, 2, argc))
  end
  -- a C (fengari: JS) function has no _ENV
  local what = getinfo(f, 'S').what
  if what ~= 'Lua' and what ~= 'main' then error("'setfenv' cannot change environment of given object", 2) end
  if level ~= nil then
    local i = localenv(level)
    if i ~= nil then
      setlocal(level, i, env)
      return f
    end
  end
  local i = envindex(f)
  if i ~= nil then upvaluejoin(f, i, function() return env end, 1) end
  return f
end
local raw_gc = collectgarbage
collectgarbage = function(opt, ...)
  if opt == 'count' then return 0 end
  return 0
end
local raw_resume, raw_yield, raw_create = coroutine.resume, coroutine.yield, coroutine.create
local function pass(co, ok, first, ...)
  if ok and first == MARK then
    return pass(co, raw_resume(co, raw_yield(MARK)))
  end
  return ok, first, ...
end
coroutine.resume = function(co, ...)
  return pass(co, raw_resume(co, ...))
end
local resume = coroutine.resume
coroutine.wrap = function(f)
  local co = raw_create(f)
  local function ret(ok, ...)
    if not ok then error((...), 0) end
    return ...
  end
  return function(...)
    return ret(resume(co, ...))
  end
end
`
