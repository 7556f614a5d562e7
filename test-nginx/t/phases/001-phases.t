# vim:set ft= ts=4 sw=4 et fdm=marker:
# Lua request phases: rewrite, access, content, header_filter, body_filter, log by_lua.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: content_by_lua_block says hello
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
        }
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: the phases run in order and share ngx.ctx
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.list = { "rewrite" }
        }
        access_by_lua_block {
            table.insert(ngx.ctx.list, "access")
        }
        content_by_lua_block {
            table.insert(ngx.ctx.list, "content")
            ngx.say(table.concat(ngx.ctx.list, ","))
        }
    }
--- request
GET /t
--- response_body
rewrite,access,content
--- no_error_log
[error]



=== TEST 3: ngx.get_phase in each phase
--- config
    location = /t {
        rewrite_by_lua_block { ngx.ctx.r = ngx.get_phase() }
        access_by_lua_block { ngx.ctx.a = ngx.get_phase() }
        content_by_lua_block {
            ngx.say(ngx.ctx.r, " ", ngx.ctx.a, " ", ngx.get_phase())
        }
        header_filter_by_lua_block { ngx.log(ngx.WARN, "phase: ", ngx.get_phase()) }
        body_filter_by_lua_block {
            if ngx.arg[2] then ngx.log(ngx.WARN, "phase: ", ngx.get_phase()) end
        }
        log_by_lua_block { ngx.log(ngx.WARN, "phase: ", ngx.get_phase()) }
    }
--- request
GET /t
--- response_body
rewrite access content
--- error_log
phase: header_filter
phase: body_filter
phase: log
--- no_error_log
[error]



=== TEST 4: rewrite_by_lua exits with a status
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.exit(403)
        }
        content_by_lua_block {
            ngx.say("not reached")
        }
    }
--- request
GET /t
--- error_code: 403
--- response_body_like: 403 Forbidden
--- no_error_log
[error]



=== TEST 5: access_by_lua denies by a header
--- config
    location = /t {
        access_by_lua_block {
            if ngx.var.http_x_token ~= "secret" then
                return ngx.exit(ngx.HTTP_UNAUTHORIZED)
            end
        }
        content_by_lua_block {
            ngx.say("welcome")
        }
    }
--- request
GET /t
--- more_headers
X-Token: wrong
--- error_code: 401



=== TEST 6: access_by_lua lets a request through
--- config
    location = /t {
        access_by_lua_block {
            if ngx.var.http_x_token ~= "secret" then
                return ngx.exit(ngx.HTTP_UNAUTHORIZED)
            end
        }
        content_by_lua_block {
            ngx.say("welcome")
        }
    }
--- request
GET /t
--- more_headers
X-Token: secret
--- response_body
welcome



=== TEST 7: ngx.exit(ngx.OK) in rewrite goes on to the next phase
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.x = 1
            ngx.exit(ngx.OK)
        }
        content_by_lua_block {
            ngx.say("x = ", ngx.ctx.x)
        }
    }
--- request
GET /t
--- response_body
x = 1



=== TEST 8: rewrite_by_lua output ends the request
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.say("from rewrite")
            ngx.exit(200)
        }
        content_by_lua_block {
            ngx.say("not reached")
        }
    }
--- request
GET /t
--- response_body
from rewrite



=== TEST 9: header_filter_by_lua sets a response header
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("body")
        }
        header_filter_by_lua_block {
            ngx.header["X-Filtered"] = "yes"
        }
    }
--- request
GET /t
--- response_headers
X-Filtered: yes
--- response_body
body



=== TEST 10: header_filter_by_lua on a return directive
--- config
    location = /t {
        return 200 "plain\n";
        header_filter_by_lua_block {
            ngx.header["X-Phase"] = ngx.get_phase()
        }
    }
--- request
GET /t
--- response_headers
X-Phase: header_filter
--- response_body
plain



=== TEST 11: header_filter_by_lua clears a header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Secret"] = "s"
            ngx.say("ok")
        }
        header_filter_by_lua_block {
            ngx.header["X-Secret"] = nil
        }
    }
--- request
GET /t
--- response_headers
!X-Secret
--- response_body
ok



=== TEST 12: header_filter_by_lua changes the status
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
        header_filter_by_lua_block {
            ngx.status = 201
        }
    }
--- request
GET /t
--- error_code: 201
--- response_body
ok



=== TEST 13: body_filter_by_lua upper-cases each chunk
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("hello")
            ngx.say("world")
        }
        body_filter_by_lua_block {
            if ngx.arg[1] then
                ngx.arg[1] = string.upper(ngx.arg[1])
            end
        }
    }
--- request
GET /t
--- response_body
HELLO
WORLD



=== TEST 14: body_filter_by_lua appends at the last chunk
--- config
    location = /t {
        content_by_lua_block {
            ngx.print("body")
        }
        header_filter_by_lua_block {
            ngx.header.content_length = nil
        }
        body_filter_by_lua_block {
            if ngx.arg[2] then
                ngx.arg[1] = ngx.arg[1] .. "|tail"
            end
        }
    }
--- request
GET /t
--- response_body chomp
body|tail



=== TEST 15: body_filter_by_lua on a return body
--- config
    location = /t {
        return 200 "abc\n";
        body_filter_by_lua_block {
            ngx.arg[1] = string.gsub(ngx.arg[1], "b", "B")
        }
    }
--- request
GET /t
--- response_body
aBc



=== TEST 16: body_filter_by_lua truncates by setting eof
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("first")
            ngx.flush(true)
            ngx.say("second")
        }
        body_filter_by_lua_block {
            if ngx.arg[1] == "first\n" then
                ngx.arg[2] = true
            end
        }
    }
--- request
GET /t
--- response_body
first



=== TEST 17: log_by_lua_block logs the status
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 202
            ngx.say("accepted")
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "logged status ", ngx.status, " uri ", ngx.var.uri)
        }
    }
--- request
GET /t
--- error_code: 202
--- response_body
accepted
--- error_log
logged status 202 uri /t



=== TEST 18: log_by_lua sees ngx.ctx of the content phase
--- config
    location = /t {
        content_by_lua_block {
            ngx.ctx.answer = 42
            ngx.say("ok")
        }
        log_by_lua_block {
            ngx.log(ngx.WARN, "ctx answer: ", ngx.ctx.answer)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
ctx answer: 42



=== TEST 19: server-level rewrite_by_lua is inherited
--- config
    rewrite_by_lua_block {
        ngx.ctx.srv = "server"
    }
    location = /t {
        content_by_lua_block {
            ngx.say("from ", ngx.ctx.srv)
        }
    }
--- request
GET /t
--- response_body
from server



=== TEST 20: location rewrite_by_lua overrides the server one
--- config
    rewrite_by_lua_block {
        ngx.ctx.who = "server"
    }
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.who = "location"
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.who)
        }
    }
--- request
GET /t
--- response_body
location



=== TEST 21: http-level log_by_lua
--- http_config
    log_by_lua_block {
        ngx.log(ngx.WARN, "http log for ", ngx.var.request_uri)
    }
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t?a=b
--- response_body
ok
--- error_log
http log for /t?a=b



=== TEST 22: the return directive runs before rewrite_by_lua
--- config
    location = /t {
        set $who "nginx";
        rewrite_by_lua_block {
            ngx.var.who = "lua"
        }
        return 200 "hi [$who]\n";
    }
--- request
GET /t
--- response_body
hi [nginx]



=== TEST 23: rewrite directive runs before rewrite_by_lua
--- config
    location = /t {
        set $a "nginx";
        rewrite_by_lua_block {
            ngx.ctx.a = ngx.var.a
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.a)
        }
    }
--- request
GET /t
--- response_body
nginx



=== TEST 24: a plain global variable is per request
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(type(my_global))
            my_global = 1
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 25: content_by_lua_file
--- user_files
>>> hello.lua
ngx.say("from a file: ", ngx.var.arg_x)
--- config
    location = /t {
        content_by_lua_file html/hello.lua;
    }
--- request
GET /t?x=7
--- response_body
from a file: 7



=== TEST 26: access_by_lua_file and rewrite_by_lua_file
--- user_files
>>> rw.lua
ngx.ctx.seq = "rw"
>>> ac.lua
ngx.ctx.seq = ngx.ctx.seq .. ",ac"
--- config
    location = /t {
        rewrite_by_lua_file html/rw.lua;
        access_by_lua_file html/ac.lua;
        content_by_lua_block {
            ngx.say(ngx.ctx.seq)
        }
    }
--- request
GET /t
--- response_body
rw,ac



=== TEST 27: server_rewrite_by_lua runs before the location's rewrite
--- config
    server_rewrite_by_lua_block {
        ngx.ctx.order = "server_rewrite"
    }
    location = /t {
        rewrite_by_lua_block {
            ngx.ctx.order = ngx.ctx.order .. ",rewrite"
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.order, " ", ngx.get_phase())
        }
    }
--- request
GET /t
--- response_body
server_rewrite,rewrite content



=== TEST 28: rewrite_by_lua sees the uri a rewrite directive set
--- config
    location = /t {
        rewrite ^ /u break;
        rewrite_by_lua_block {
            ngx.ctx.uri = ngx.var.uri
        }
        content_by_lua_block {
            ngx.say("uri was ", ngx.ctx.uri)
        }
    }
--- request
GET /t
--- response_body
uri was /u



=== TEST 29: content_by_lua in a prefix location
--- config
    location /t {
        content_by_lua_block {
            ngx.say("prefix location ", ngx.var.uri)
        }
    }
--- request
GET /t/x/y
--- response_body
prefix location /t/x/y



=== TEST 30: content_by_lua in a location if block
--- config
    location = /t {
        if ($arg_mode = "lua") {
            content_by_lua_block { ngx.say("from if") }
        }
        content_by_lua_block { ngx.say("from location") }
    }
--- request eval
["GET /t?mode=lua", "GET /t"]
--- response_body eval
["from if\n", "from location\n"]
