# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req.socket() from Lua: the request body as a read-only cosocket.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: read the body in pieces
--- config
    location = /t {
        content_by_lua_block {
            local sock, err = ngx.req.socket()
            if not sock then ngx.say("err: ", err) return end
            ngx.say(type(sock))
            local data, err = sock:receive(5)
            ngx.say(data, " ", err)
            local data, err, part = sock:receive(100)
            ngx.say(data, " ", err, " ", part)
            ngx.say(ngx.req.socket())
        }
    }
--- request
POST /t
helloworld
--- response_body
table
hello nil
nil closed world
nilrequest body already exists
--- no_error_log
[error]



=== TEST 2: no body
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.socket())
        }
    }
--- request
GET /t
--- response_body
nilno body
--- no_error_log
[error]



=== TEST 3: lines, receiveuntil and settimeout
--- config
    location = /t {
        content_by_lua_block {
            local sock = assert(ngx.req.socket())
            sock:settimeout(1000)
            ngx.say(sock:receive())
            local it = sock:receiveuntil("--")
            ngx.say(it())
            ngx.say(sock:receive("*a"))
        }
    }
--- request eval
"POST /t\r\nline one\nab--cd"
--- response_body
line one
ab
cd
--- no_error_log
[error]



=== TEST 4: after the body was read
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.socket())
        }
    }
--- request
POST /t
abc
--- response_body
nilrequest body already exists
--- no_error_log
[error]



=== TEST 5: in rewrite_by_lua, the body is there for content
--- config
    location = /t {
        rewrite_by_lua_block {
            local sock = assert(ngx.req.socket())
            ngx.ctx.body = sock:receive(3)
        }
        content_by_lua_block {
            ngx.say(ngx.ctx.body)
        }
    }
--- request
POST /t
abc
--- response_body
abc
--- no_error_log
[error]
