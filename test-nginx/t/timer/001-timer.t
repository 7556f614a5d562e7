# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.timer.at / every / running_count / pending_count from Lua.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: a zero-delay timer runs after the response
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.timer.at(0, function(premature)
                ngx.log(ngx.WARN, "timer fired, premature: ", premature)
            end)
            ngx.say("registered: ", ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
registered: 1 nil
--- wait: 0.1
--- error_log
timer fired, premature: false
--- no_error_log
[error]



=== TEST 2: timer arguments
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function(premature, a, b)
                ngx.log(ngx.WARN, "args: ", a, " ", b)
            end, "one", 2)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
args: one 2



=== TEST 3: a timer writes to a shared dict a later request reads
--- http_config
    lua_shared_dict store 1m;
--- config
    location = /set {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.shared.store:set("from_timer", "yes")
            end)
            ngx.say("set")
        }
    }
    location = /get {
        content_by_lua_block {
            ngx.sleep(0.05)
            ngx.say(ngx.shared.store:get("from_timer"))
        }
    }
--- request eval
["GET /set", "GET /get"]
--- response_body eval
["set\n", "yes\n"]



=== TEST 4: ngx.get_phase in a timer
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.log(ngx.WARN, "timer phase: ", ngx.get_phase())
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
timer phase: timer



=== TEST 5: a timer can sleep
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.sleep(0.01)
                ngx.log(ngx.WARN, "slept in timer")
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.2
--- error_log
slept in timer



=== TEST 6: a delayed timer
--- config
    location = /t {
        content_by_lua_block {
            local start = ngx.now()
            ngx.timer.at(0.1, function()
                ngx.update_time()
                ngx.log(ngx.WARN, "delay ok: ", ngx.now() - start >= 0.09)
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.3
--- error_log
delay ok: true



=== TEST 7: pending_count and running_count
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(10, function() end)
            ngx.say(ngx.timer.pending_count() >= 1, " ", ngx.timer.running_count())
        }
    }
--- request
GET /t
--- response_body
true 0



=== TEST 8: timer.every runs repeatedly
--- http_config
    lua_shared_dict store 1m;
--- config
    location = /t {
        content_by_lua_block {
            local store = ngx.shared.store
            store:set("n", 0)
            local ok, err = ngx.timer.every(0.05, function()
                store:incr("n", 1)
            end)
            ngx.sleep(0.28)
            local n = store:get("n")
            ngx.say(ok, " ", n >= 3 and n <= 6)
        }
    }
--- request
GET /t
--- response_body
1 true



=== TEST 9: a negative delay is accepted
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.timer.at, -1, function() end)
            ngx.say(ok, " ", err)
        }
    }
--- request
GET /t
--- response_body
true 1



=== TEST 10: a non-function callback
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.timer.at, 0, "nope")
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
false



=== TEST 11: an error in a timer is logged
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                error("boom in timer")
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
boom in timer



=== TEST 12: timer.every with a zero delay is an error
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.timer.every, 0, function() end)
            ngx.say(ok)
        }
    }
--- request
GET /t
--- response_body
false



=== TEST 13: a timer from a timer
--- config
    location = /t {
        content_by_lua_block {
            ngx.timer.at(0, function()
                ngx.timer.at(0, function()
                    ngx.log(ngx.WARN, "inner timer ran")
                end)
            end)
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
inner timer ran



=== TEST 14: a timer from log_by_lua
--- config
    location = /t {
        content_by_lua_block { ngx.say("ok") }
        log_by_lua_block {
            local status = ngx.status
            ngx.timer.at(0, function()
                ngx.log(ngx.WARN, "logged later: ", status)
            end)
        }
    }
--- request
GET /t
--- response_body
ok
--- wait: 0.1
--- error_log
logged later: 200
