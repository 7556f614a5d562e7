# vim:set ft= ts=4 sw=4 et fdm=marker:
# Light threads are coroutines; their errors are logged as ngx_lua's user thread errors.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: a thread that fails at once is logged as a user thread
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() error("oops") end)
            ngx.say(coroutine.status(t))
            ngx.say((ngx.thread.wait(t)))
            ngx.say(coroutine.status(t))
        }
    }
--- request
GET /t
--- response_body
zombie
false
dead
--- error_log eval
qr/\[error\] .*? lua user thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: oops\nstack traceback:\ncoroutine 0:\n/
--- no_error_log
light thread aborted



=== TEST 2: a thread that fails after yielding
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function() ngx.sleep(0.01) local a = nil; return a.b end)
            ngx.say("main")
        }
    }
--- request
GET /t
--- response_body
main
--- error_log eval
qr/lua user thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: attempt to index local 'a' \(a nil value\)/



=== TEST 3: a non-string error
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() error({}) end)
            ngx.say((ngx.thread.wait(t)))
        }
    }
--- request
GET /t
--- response_body
false
--- error_log
lua user thread aborted: runtime error: unknown reason



=== TEST 4: a light thread is a coroutine
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() ngx.sleep(0.01) return 1 end)
            ngx.say(type(t), " ", coroutine.status(t), " ", tostring(t):match("^thread: ") ~= nil)
            ngx.say(ngx.thread.wait(t))
            ngx.say(coroutine.status(t))
            ngx.say(ngx.thread.kill(t))
        }
    }
--- request
GET /t
--- response_body
thread running true
true1
dead
nilalready waited or killed
--- no_error_log
[error]



=== TEST 5: kill takes the coroutine
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() ngx.sleep(1) ngx.say("not reached") end)
            ngx.say(ngx.thread.kill(t))
            ngx.say(coroutine.status(t))
            ngx.say(pcall(ngx.thread.kill, "x"))
        }
    }
--- request
GET /t
--- response_body_like
^1
(zombie|dead)
false.*lua thread expected.*$
--- no_error_log
[error]
