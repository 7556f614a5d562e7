# vim:set ft= ts=4 sw=4 et fdm=marker:
# Runtime errors in Lua handlers: 500 and ngx_lua's error-log lines.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: error() in content_by_lua gives 500
--- config
    location = /t {
        content_by_lua_block {
            error("something bad")
        }
    }
--- request
GET /t
--- error_code: 500
--- response_body_like: 500 Internal Server Error
--- error_log eval
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: something bad/



=== TEST 2: calling a nil global
--- config
    location = /t {
        content_by_lua_block {
            no_such_function()
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
attempt to call global 'no_such_function' (a nil value)



=== TEST 3: indexing a nil local
--- config
    location = /t {
        content_by_lua_block {
            local t = nil
            ngx.say(t.x)
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
attempt to index local 't' (a nil value)



=== TEST 4: arithmetic on a string
--- config
    location = /t {
        content_by_lua_block {
            local s = "abc"
            local n = s + 1
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
attempt to perform arithmetic on local 's' (a string value)



=== TEST 5: the traceback follows
--- config
    location = /t {
        content_by_lua_block {
            error("traced")
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
stack traceback:
in main chunk



=== TEST 6: error in rewrite_by_lua
--- config
    location = /t {
        rewrite_by_lua_block {
            error("rewrite failed")
        }
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/runtime error: rewrite_by_lua\(nginx\.conf:\d+\):2: rewrite failed/



=== TEST 7: error in access_by_lua
--- config
    location = /t {
        access_by_lua_block {
            error("access failed")
        }
        content_by_lua_block { ngx.say("not reached") }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/runtime error: access_by_lua\(nginx\.conf:\d+\):2: access failed/



=== TEST 8: error with a table value is an unknown reason
--- config
    location = /t {
        content_by_lua_block {
            error({ code = 1 })
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: unknown reason



=== TEST 9: error with level 0 has no position
--- config
    location = /t {
        content_by_lua_block {
            error("bare message", 0)
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: bare message



=== TEST 10: pcall catches an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(error, "caught")
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
false caught
--- no_error_log
[error]



=== TEST 11: pcall error with position
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() error("where") end)
            ngx.say(ok, " ", (string.gsub(err, "^content_by_lua%(nginx%.conf:%d+%)", "CHUNK")))
        }
    }
--- request
GET /t
--- response_body
false CHUNK:2: where



=== TEST 12: error after output was sent
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("partial")
            ngx.flush(true)
            error("late error")
        }
    }
--- request
GET /t
--- ignore_response
--- error_log
late error



=== TEST 13: error in header_filter_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            error("hf error")
        }
    }
--- request
GET /t
--- ignore_response
--- error_log
failed to run header_filter_by_lua*: header_filter_by_lua(nginx.conf



=== TEST 14: error in log_by_lua does not change the response
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            error("log phase error")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
log phase error



=== TEST 15: ngx.log at several levels
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "an error line")
            ngx.log(ngx.WARN, "a warn line")
            ngx.log(ngx.NOTICE, "a notice line")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
[error]
an error line
[warn]
a warn line
[notice]
a notice line



=== TEST 16: ngx.log prefixes the chunk and line
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.ERR, "marked")
        }
    }
--- request
GET /t
--- error_log eval
qr/\[error\] .*: \*\d+ \[lua\] content_by_lua\(nginx\.conf:\d+\):2: marked, client: 127\.0\.0\.1/



=== TEST 17: ngx.log with several arguments and nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.WARN, "a", 1, nil, true, 2.5)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- error_log
a1niltrue2.5



=== TEST 18: print logs at notice
--- config
    location = /t {
        content_by_lua_block {
            print("via print")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- error_log eval
qr/\[notice\] .*\[lua\] content_by_lua\(nginx\.conf:\d+\):2: via print/



=== TEST 19: ngx.log below the log level is dropped
--- config
    location = /t {
        content_by_lua_block {
            ngx.log(ngx.DEBUG, "debug hidden")
            ngx.say("ok")
        }
    }
--- log_level: info
--- request
GET /t
--- no_error_log
debug hidden



=== TEST 20: an error in a module function has the module's chunk name
--- user_files
>>> badmod.lua
local M = {}
function M.fail()
    error("module failure")
end
return M
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            require("badmod").fail()
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/runtime error: .*badmod\.lua:3: module failure/



=== TEST 21: a missing module
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(require, "no.such.module")
            ngx.say(ok, " ", (string.match(err, "^module 'no.such.module' not found:")))
        }
    }
--- request
GET /t
--- response_body
false module 'no.such.module' not found:



=== TEST 22: a syntax error in content_by_lua_block fails at the request
--- config
    location = /t {
        content_by_lua_block {
            local x = = 1
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log
failed to load inlined Lua code: content_by_lua(nginx.conf



=== TEST 23: errors in a thread do not stop the main thread
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function() error("thread boom") end)
            ngx.say("main ok")
        }
    }
--- request
GET /t
--- response_body
main ok
--- error_log
thread boom



=== TEST 24: xpcall with a traceback handler
--- config
    location = /t {
        content_by_lua_block {
            local ok, msg = xpcall(function() error("xp") end, function(e) return "handled: " .. e end)
            ngx.say(ok, " ", (string.gsub(msg, "content_by_lua%(nginx%.conf:%d+%)", "C")))
        }
    }
--- request
GET /t
--- response_body
false handled: C:2: xp



=== TEST 25: error with a number value gets the position
--- config
    location = /t {
        content_by_lua_block {
            error(42)
        }
    }
--- request
GET /t
--- error_code: 500
--- error_log eval
qr/runtime error: content_by_lua\(nginx\.conf:\d+\):2: 42/



=== TEST 26: error levels and assert messages
--- config
    location = /t {
        content_by_lua_block {
            local function f() error("lvl2", 2) end
            local _, e1 = pcall(error, 42)
            local _, e2 = pcall(function() error(42) end)
            local _, e3 = pcall(function() f() end)
            local _, e4 = pcall(function() error("x", 0) end)
            local _, e5 = pcall(function() error() end)
            local _, e6 = pcall(function() assert(false, "asrt") end)
            local _, e7 = pcall(function() assert(nil) end)
            local out = table.concat({ tostring(e1), e2, e3, e4, tostring(e5), e6, e7 }, "|")
            ngx.say((string.gsub(out, "content_by_lua%(nginx%.conf:%d+%)", "C")))
        }
    }
--- request
GET /t
--- response_body
42|C:4: 42|C:5: lvl2|x|nil|C:8: asrt|C:9: assertion failed!



=== TEST 27: error inside a coroutine is returned by resume
--- config
    location = /t {
        content_by_lua_block {
            local co = coroutine.create(function() error("in co") end)
            local ok, err = coroutine.resume(co)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")), " ", coroutine.status(co))
        }
    }
--- request
GET /t
--- response_body
false in co dead
--- no_error_log
[error]



=== TEST 28: ngx.log with a bad level
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() ngx.log(100, "x") end)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
false bad argument #1 to 'log' (bad log level: 100)



=== TEST 29: print of several values at notice
--- config
    location = /t {
        content_by_lua_block {
            print("n=", 3, " b=", true, " nil=", nil)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[notice\] .*\[lua\] content_by_lua\(nginx\.conf:\d+\):2: n=3 b=true nil=nil/



=== TEST 30: ngx.log from a module function names the file and the function
--- user_files
>>> logmod.lua
local M = {}
function M.hello()
    ngx.log(ngx.WARN, "hello from logmod")
end
return M
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            require("logmod").hello()
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[warn\] .*\[lua\] logmod\.lua:3: hello\(\): hello from logmod/
