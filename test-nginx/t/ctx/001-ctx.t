# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.ctx: a Lua table per request, kept across phases, not shared between requests.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_long_string();
run_tests();

__DATA__

=== TEST 1: ngx.ctx starts empty in each request
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("before: ", ngx.ctx.n)
            ngx.ctx.n = (ngx.ctx.n or 0) + 1
            ngx.say("after: ", ngx.ctx.n)
        }
    }
--- request
GET /t
--- response_body
before: nil
after: 1
--- no_error_log
[error]



=== TEST 2: ngx.ctx is a table
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(type(ngx.ctx))
        }
    }
--- request
GET /t
--- response_body
table



=== TEST 3: ngx.ctx is the same table within a phase
--- config
    location = /t {
        content_by_lua_block {
            local a = ngx.ctx
            local b = ngx.ctx
            ngx.say(a == b)
        }
    }
--- request
GET /t
--- response_body
true



=== TEST 4: assigning a new table to ngx.ctx
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx = { user = "alice" }
        }
        content_by_lua_block {
            ngx.say("user: ", ngx.ctx.user)
        }
    }
--- request
GET /t
--- response_body
user: alice



=== TEST 5: ngx.ctx from access to content to log
--- config
    location = /t {
        access_by_lua_block {
            ngx.ctx.started = "access"
        }
        content_by_lua_block {
            ngx.ctx.seen = ngx.ctx.started
            ngx.say("content saw ", ngx.ctx.started)
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "log saw ", ngx.ctx.seen)
        }
    }
--- request
GET /t
--- response_body
content saw access
--- error_log
log saw access



=== TEST 6: ngx.ctx in header and body filters
--- config
    location = /t {
        content_by_lua_block {
            ngx.ctx.tag = "T"
            ngx.say("body")
        }
        header_filter_by_lua_block {
            ngx.header["X-Tag"] = ngx.ctx.tag
            ngx.ctx.chunks = 0
        }
        body_filter_by_lua_block {
            ngx.ctx.chunks = ngx.ctx.chunks + 1
            if ngx.arg[2] then
                ngx.log(ngx.WARN, "chunks > 0: ", ngx.ctx.chunks > 0)
            end
        }
    }
--- request
GET /t
--- response_headers
X-Tag: T
--- response_body
body
--- error_log
chunks > 0: true



=== TEST 7: ngx.ctx holds nested tables and functions
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.data = { list = { 1, 2, 3 } }
            ngx.ctx.fn = function(x) return x * 2 end
        }
        content_by_lua_block {
            local d = ngx.ctx.data
            ngx.say(#d.list, " ", ngx.ctx.fn(21))
        }
    }
--- request
GET /t
--- response_body
3 42



=== TEST 8: ngx.ctx keys can be removed
--- config
    location = /t {
        content_by_lua_block {
            ngx.ctx.a = 1
            ngx.ctx.a = nil
            ngx.say("a: ", ngx.ctx.a)
        }
    }
--- request
GET /t
--- response_body
a: nil



=== TEST 9: ngx.ctx is per request for a module-level cache
--- user_files
>>> ctxmod.lua
local M = {}
function M.get()
    local ctx = ngx.ctx
    ctx.calls = (ctx.calls or 0) + 1
    return ctx.calls
end
return M
--- http_config
    lua_package_path "$prefix/html/?.lua;;";
--- config
    location = /t {
        content_by_lua_block {
            local m = require "ctxmod"
            m.get()
            ngx.say("calls: ", m.get())
        }
    }
--- request
GET /t
--- response_body
calls: 2



=== TEST 10: ngx.ctx in a light thread is the request's
--- config
    location = /t {
        content_by_lua_block {
            ngx.ctx.x = "main"
            local t = ngx.thread.spawn(function()
                return ngx.ctx.x
            end)
            local ok, v = ngx.thread.wait(t)
            ngx.say(ok, " ", v)
        }
    }
--- request
GET /t
--- response_body
true main



=== TEST 11: ngx.ctx is kept across ngx.sleep
--- config
    location = /t {
        content_by_lua_block {
            ngx.ctx.v = 5
            ngx.sleep(0.01)
            ngx.say("v = ", ngx.ctx.v)
        }
    }
--- request
GET /t
--- response_body
v = 5



=== TEST 12: a subrequest has its own ngx.ctx
--- config
    location = /sub {
        content_by_lua_block {
            ngx.print("sub ctx: ", tostring(ngx.ctx.x))
        }
    }
    location = /t {
        content_by_lua_block {
            ngx.ctx.x = "parent"
            local res = ngx.location.capture("/sub")
            ngx.say(res.body)
            ngx.say("parent ctx: ", ngx.ctx.x)
        }
    }
--- request
GET /t
--- response_body
sub ctx: nil
parent ctx: parent



=== TEST 13: capture shares ngx.ctx with the ctx option
--- config
    location = /sub {
        content_by_lua_block {
            ngx.ctx.from_sub = "yes"
            ngx.print("ok")
        }
    }
    location = /t {
        content_by_lua_block {
            local shared = {}
            local res = ngx.location.capture("/sub", { ctx = shared })
            ngx.say(res.body, " ", shared.from_sub)
        }
    }
--- request
GET /t
--- response_body
ok yes



=== TEST 14: ngx.ctx survives an internal redirect? no: exec starts a new ctx
--- config
    location = /a {
        rewrite_by_lua_block {
            ngx.ctx.v = "a"
            ngx.exec("/b")
        }
    }
    location = /b {
        content_by_lua_block {
            ngx.say("ctx.v: ", ngx.ctx.v)
        }
    }
--- request
GET /a
--- response_body
ctx.v: nil



=== TEST 15: capture_multi shares ngx.ctx with each ctx option
--- config
    location = /sub {
        content_by_lua_block {
            ngx.ctx.seen = ngx.var.arg_n
            ngx.print("sub", ngx.var.arg_n)
        }
    }
    location = /t {
        content_by_lua_block {
            local c1, c2 = {}, {}
            local r1, r2 = ngx.location.capture_multi({
                { "/sub", { args = "n=1", ctx = c1 } },
                { "/sub", { args = "n=2", ctx = c2 } },
            })
            ngx.say(r1.body, " ", r2.body, " ", c1.seen, " ", c2.seen)
        }
    }
--- request
GET /t
--- response_body
sub1 sub2 1 2
