# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.sleep: yields the request, other code runs meanwhile.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: sleep then say
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.say("woke up")
        }
    }
--- request
GET /t
--- response_body
woke up
--- no_error_log
[error]



=== TEST 2: sleep takes at least its time
--- config
    location = /t {
        content_by_lua_block {
            ngx.update_time()
            local t0 = ngx.now()
            ngx.sleep(0.1)
            ngx.update_time()
            local d = ngx.now() - t0
            ngx.say(d >= 0.09, " ", d < 0.5)
        }
    }
--- request
GET /t
--- response_body
true true



=== TEST 3: sleep 0
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(0)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok



=== TEST 4: sleep in rewrite and access
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.sleep(0.01)
            ngx.ctx.a = "r"
        }
        access_by_lua_block {
            ngx.sleep(0.01)
            ngx.ctx.a = ngx.ctx.a .. "a"
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.a)
        }
    }
--- request
GET /t
--- response_body
ra



=== TEST 5: sleep inside pcall
--- config
    location = /t {
        content_by_lua_block {
            local ok, v = pcall(function()
                ngx.sleep(0.01)
                return "inside"
            end)
            ngx.say(ok, " ", v)
        }
    }
--- request
GET /t
--- response_body
true inside



=== TEST 6: sleep inside a coroutine
--- config
    location = /t {
        content_by_lua_block {
            local co = coroutine.create(function(a)
                ngx.sleep(0.01)
                local b = coroutine.yield(a + 1)
                ngx.sleep(0.01)
                return b * 2
            end)
            local ok1, r1 = coroutine.resume(co, 1)
            local ok2, r2 = coroutine.resume(co, 10)
            ngx.say(ok1, " ", r1, " ", ok2, " ", r2, " ", coroutine.status(co))
        }
    }
--- request
GET /t
--- response_body
true 2 true 20 dead



=== TEST 7: sleep inside coroutine.wrap
--- config
    location = /t {
        content_by_lua_block {
            local gen = coroutine.wrap(function()
                for i = 1, 3 do
                    ngx.sleep(0.001)
                    coroutine.yield(i)
                end
            end)
            ngx.say(gen(), gen(), gen())
        }
    }
--- request
GET /t
--- response_body
123



=== TEST 8: output before and after a sleep
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("a")
            ngx.flush(true)
            ngx.sleep(0.02)
            ngx.say("b")
        }
    }
--- request
GET /t
--- response_body
a
b



=== TEST 9: a bad argument
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.sleep, "x")
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
false



=== TEST 10: sleep is not allowed in header_filter
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        header_filter_by_lua_block {
            local ok, err = pcall(ngx.sleep, 0.01)
            ngx.log(ngx.WARN, "sleep: ", ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
API disabled in the context of header_filter_by_lua*



=== TEST 11: sleep is not allowed in log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local ok, err = pcall(ngx.sleep, 0.01)
            ngx.log(ngx.WARN, "sleep: ", ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*



=== TEST 12: concurrent requests sleep independently
--- config
    location = /t {
        content_by_lua_block {
            ngx.sleep(tonumber(ngx.var.arg_d))
            ngx.say("slept ", ngx.var.arg_d)
        }
    }
--- request eval
["GET /t?d=0.02", "GET /t?d=0.01"]
--- response_body eval
["slept 0.02\n", "slept 0.01\n"]



=== TEST 13: ngx.now does not change without a yield? update_time refreshes it
--- config
    location = /t {
        content_by_lua_block {
            local a = ngx.now()
            ngx.sleep(0.05)
            local b = ngx.now()
            ngx.say(b > a)
        }
    }
--- request
GET /t
--- response_body
true
