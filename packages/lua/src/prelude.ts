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
