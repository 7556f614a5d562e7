# vim:set ft= ts=4 sw=4 et fdm=marker:
# Light threads: ngx.thread.spawn, wait, kill.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: spawn and wait for a result
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function(a, b) return a + b end, 2, 3)
            ngx.say(ngx.thread.wait(t))
        }
    }
--- request
GET /t
--- response_body
true5
--- no_error_log
[error]



=== TEST 2: a spawned thread runs at once until it yields
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                ngx.say("thread start")
                ngx.sleep(0.01)
                ngx.say("thread end")
            end)
            ngx.say("main after spawn")
            ngx.thread.wait(t)
            ngx.say("main end")
        }
    }
--- request
GET /t
--- response_body
thread start
main after spawn
thread end
main end



=== TEST 3: two threads run concurrently
--- config
    location = /t {
        content_by_lua_block {
            ngx.update_time()
            local t0 = ngx.now()
            local function work(d) ngx.sleep(d) return d end
            local a = ngx.thread.spawn(work, 0.1)
            local b = ngx.thread.spawn(work, 0.1)
            local _, ra = ngx.thread.wait(a)
            local _, rb = ngx.thread.wait(b)
            ngx.update_time()
            ngx.say(ra, " ", rb, " ", ngx.now() - t0 < 0.18)
        }
    }
--- request
GET /t
--- response_body
0.1 0.1 true



=== TEST 4: wait on several threads returns the first to finish
--- config
    location = /t {
        content_by_lua_block {
            local slow = ngx.thread.spawn(function() ngx.sleep(0.1) return "slow" end)
            local fast = ngx.thread.spawn(function() ngx.sleep(0.01) return "fast" end)
            ngx.say(ngx.thread.wait(slow, fast))
            ngx.say(ngx.thread.wait(slow))
        }
    }
--- request
GET /t
--- response_body
truefast
trueslow



=== TEST 5: a thread that errors
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() error("oops") end)
            local ok, err = ngx.thread.wait(t)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body_like
^false .*oops$
--- error_log eval
qr/thread aborted: .*content_by_lua\(nginx\.conf:\d+\):2: oops/



=== TEST 6: kill a sleeping thread
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function()
                ngx.sleep(1)
                ngx.log(ngx.ERR, "should not run")
            end)
            ngx.say(ngx.thread.kill(t))
            ngx.say(ngx.thread.kill(t))
        }
    }
--- request
GET /t
--- response_body
1
nilalready waited or killed
--- no_error_log
should not run



=== TEST 7: wait on a killed thread
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() ngx.sleep(1) end)
            ngx.thread.kill(t)
            local ok, err = ngx.thread.wait(t)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
nil already waited or killed



=== TEST 8: kill a thread that already finished
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() return 1 end)
            ngx.say(ngx.thread.kill(t))
        }
    }
--- request
GET /t
--- response_body
nilalready terminated



=== TEST 9: wait twice
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() return "r" end)
            ngx.say(ngx.thread.wait(t))
            ngx.say(ngx.thread.wait(t))
        }
    }
--- request
GET /t
--- response_body
truer
nilalready waited or killed



=== TEST 10: multiple return values
--- config
    location = /t {
        content_by_lua_block {
            local t = ngx.thread.spawn(function() return 1, "two", nil, true end)
            local ok, a, b, c, d = ngx.thread.wait(t)
            ngx.say(ok, " ", a, " ", b, " ", c, " ", d)
        }
    }
--- request
GET /t
--- response_body
true 1 two nil true



=== TEST 11: the main thread finishing waits for the others
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.05)
                ngx.say("from thread")
            end)
            ngx.say("main done")
        }
    }
--- request
GET /t
--- response_body
main done
from thread



=== TEST 12: ngx.exit in the main thread kills the others
--- config
    location = /t {
        content_by_lua_block {
            ngx.thread.spawn(function()
                ngx.sleep(0.2)
                ngx.log(ngx.ERR, "thread survived exit")
            end)
            ngx.say("exit now")
            ngx.exit(ngx.OK)
        }
    }
--- request
GET /t
--- response_body
exit now
--- wait: 0.3
--- no_error_log
thread survived exit



=== TEST 13: threads in rewrite_by_lua
--- config
    location = /t {
        rewrite_by_lua_block {
            local t = ngx.thread.spawn(function() ngx.sleep(0.01) return "rw" end)
            local _, v = ngx.thread.wait(t)
            ngx.ctx.v = v
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.v)
        }
    }
--- request
GET /t
--- response_body
rw



=== TEST 14: a nested spawn
--- config
    location = /t {
        content_by_lua_block {
            local outer = ngx.thread.spawn(function()
                local inner = ngx.thread.spawn(function() return "inner" end)
                local _, v = ngx.thread.wait(inner)
                return "outer+" .. v
            end)
            ngx.say(select(2, ngx.thread.wait(outer)))
        }
    }
--- request
GET /t
--- response_body
outer+inner



=== TEST 15: spawn a non-function
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.thread.spawn, 1)
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
false



=== TEST 16: threads share upvalues
--- config
    location = /t {
        content_by_lua_block {
            local count = 0
            local ts = {}
            for i = 1, 5 do
                ts[i] = ngx.thread.spawn(function()
                    ngx.sleep(0.001 * i)
                    count = count + i
                end)
            end
            for i = 1, 5 do ngx.thread.wait(ts[i]) end
            ngx.say(count)
        }
    }
--- request
GET /t
--- response_body
15
