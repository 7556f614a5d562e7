# vim:set ft= ts=4 sw=4 et fdm=marker:
# Lua 5.1's setfenv / getfenv (LuaJIT) on functions and on stack levels.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: setfenv on a function changes where its globals are found
--- config
    location = /t {
        content_by_lua_block {
            local function f() return x end
            local env = { x = 42 }
            ngx.say(setfenv(f, env) == f)
            ngx.say(f())
            ngx.say(getfenv(f) == env)
            ngx.say(x)
        }
    }
--- request
GET /t
--- response_body
true
42
true
nil
--- no_error_log
[error]



=== TEST 2: setfenv affects that function only, not one sharing its environment
--- config
    location = /t {
        content_by_lua_block {
            local function f() return y end
            local function g() return y end
            y = "global"
            setfenv(f, { y = "own" })
            ngx.say(f(), " ", g())
        }
    }
--- request
GET /t
--- response_body
own global
--- no_error_log
[error]



=== TEST 3: setfenv(1, env) inside a function
--- config
    location = /t {
        content_by_lua_block {
            local function h()
                setfenv(1, { ngx = ngx, tostring = tostring })
                z = 5
                ngx.say(tostring(z))
            end
            h()
            ngx.say(tostring(z))
            ngx.say(getfenv(h).z)
        }
    }
--- request
GET /t
--- response_body
5
nil
5
--- no_error_log
[error]



=== TEST 4: getfenv(0) and C functions give the globals
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(getfenv(0) == _G, " ", getfenv(print) == _G, " ", type(getfenv(1)), " ", type(getfenv()))
            ngx.say(getfenv(1).ngx == ngx)
        }
    }
--- request
GET /t
--- response_body
true true table table
true
--- no_error_log
[error]



=== TEST 5: a module function's environment is the globals
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- user_files
>>> fenvmod.lua
local _M = {}
function _M.get() return answer end
return _M
--- config
    location = /t {
        content_by_lua_block {
            local m = require "fenvmod"
            ngx.say(getfenv(m.get) == _G)
            setfenv(m.get, { answer = 42 })
            ngx.say(m.get())
        }
    }
--- request
GET /t
--- response_body
true
42
--- no_error_log
[error]



=== TEST 6: argument errors
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(pcall(getfenv, "a"))
            ngx.say(pcall(getfenv, -1))
            ngx.say(pcall(getfenv, 50))
            ngx.say(pcall(setfenv, "a", {}))
            ngx.say(pcall(setfenv, function() end, 1))
            ngx.say(pcall(setfenv, print, {}))
            ngx.say(pcall(setfenv, 1, {}))
        }
    }
--- request
GET /t
--- response_body
falsebad argument #1 to '?' (number expected, got string)
falsebad argument #1 to '?' (invalid level)
falsebad argument #1 to '?' (invalid level)
falsebad argument #1 to '?' (number expected, got string)
falsebad argument #2 to '?' (table expected, got number)
false'setfenv' cannot change environment of given object
false'setfenv' cannot change environment of given object
--- no_error_log
[error]
