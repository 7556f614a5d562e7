# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.on_abort from Lua: lua_check_client_abort, duplicate calls, the callback on a client abort.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: off by default
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body
nillua_check_client_abort is off
--- no_error_log
[error]



=== TEST 2: registered once
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.on_abort(function() end))
            ngx.say(ngx.on_abort(function() end))
        }
    }
--- request
GET /t
--- response_body
1
nilduplicate call
--- no_error_log
[error]



=== TEST 3: a function is required
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.say(pcall(ngx.on_abort, "x"))
        }
    }
--- request
GET /t
--- response_body_like
^false.*function expected
--- no_error_log
[error]



=== TEST 4: the callback runs when the client goes away
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            local ok, err = ngx.on_abort(function()
                ngx.log(ngx.NOTICE, "on abort called: ", ngx.get_phase())
                ngx.exit(499)
            end)
            if not ok then ngx.log(ngx.ERR, "on_abort: ", err) return end
            ngx.sleep(0.5)
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.5
--- error_log
on abort called: content
--- no_error_log
[error]



=== TEST 5: the callback is not called when the client stays
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.on_abort(function() ngx.log(ngx.ERR, "on abort called") end)
            ngx.sleep(0.01)
            ngx.say("done")
        }
    }
--- request
GET /t
--- response_body
done
--- no_error_log
on abort called
[error]



=== TEST 6: each handler may register its own callback
--- config
    lua_check_client_abort on;
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.r = tostring(ngx.on_abort(function() end))
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.r, " ", tostring(ngx.on_abort(function() end)))
        }
    }
--- request
GET /t
--- response_body
1 1
--- no_error_log
[error]



=== TEST 7: an error in the callback is logged as a user thread's; the handler goes on
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.on_abort(function()
                ngx.log(ngx.NOTICE, "on abort called")
                error("cb boom")
            end)
            ngx.sleep(0.4)
            ngx.log(ngx.NOTICE, "main done")
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.6
--- error_log eval
[
    "on abort called",
    qr/lua user thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):4: cb boom/,
    "main done",
]



=== TEST 8: ngx.exit in the callback ends the handler too
--- config
    lua_check_client_abort on;
    location = /t {
        content_by_lua_block {
            ngx.on_abort(function()
                ngx.log(ngx.NOTICE, "on abort called")
                ngx.exit(499)
            end)
            ngx.sleep(0.4)
            ngx.log(ngx.NOTICE, "main done")
        }
    }
--- request
GET /t
--- timeout: 0.2
--- abort
--- ignore_response
--- wait: 0.6
--- error_log
on abort called
--- no_error_log
main done
