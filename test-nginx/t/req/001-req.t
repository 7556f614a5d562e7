# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req: method, headers, URI arguments, body.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: get_method
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.get_method())
        }
    }
--- request
DELETE /t
--- response_body
DELETE
--- no_error_log
[error]



=== TEST 2: set_method changes the method
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_method(ngx.HTTP_PUT)
        }
        content_by_lua_block {
            ngx.say(ngx.req.get_method(), " ", ngx.var.request_method)
        }
    }
--- request
GET /t
--- response_body
PUT PUT



=== TEST 3: get_headers lower-cases the names
--- config
    location = /t {
        content_by_lua_block {
            local h = ngx.req.get_headers()
            ngx.say(h["x-one"], " ", h["X-One"], " ", h.x_one)
        }
    }
--- request
GET /t
--- more_headers
X-One: 1
--- response_body
1 1 1



=== TEST 4: get_headers with repeated headers gives a table
--- config
    location = /t {
        content_by_lua_block {
            local v = ngx.req.get_headers()["x-multi"]
            ngx.say(type(v), " ", table.concat(v, ","))
        }
    }
--- request
GET /t
--- more_headers
X-Multi: a
X-Multi: b
--- response_body
table a,b



=== TEST 5: get_headers raw keeps the case
--- config
    location = /t {
        content_by_lua_block {
            local h = ngx.req.get_headers(0, true)
            ngx.say(h["X-Case"], " ", h["x-case"])
        }
    }
--- request
GET /t
--- more_headers
X-Case: kept
--- response_body
kept nil



=== TEST 6: set_header is seen by ngx.var
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_header("X-Added", "yes")
        }
        content_by_lua_block {
            ngx.say(ngx.var.http_x_added, " ", ngx.req.get_headers()["x-added"])
        }
    }
--- request
GET /t
--- response_body
yes yes



=== TEST 7: clear_header removes a header
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.clear_header("X-Drop")
        }
        content_by_lua_block {
            ngx.say(ngx.var.http_x_drop)
        }
    }
--- request
GET /t
--- more_headers
X-Drop: me
--- response_body
nil



=== TEST 8: set_header with a table value
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_header("X-List", { "a", "b" })
            local v = ngx.req.get_headers()["x-list"]
            ngx.say(table.concat(v, "|"))
        }
    }
--- request
GET /t
--- response_body
a|b



=== TEST 9: get_uri_args
--- config
    location = /t {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            ngx.say(args.a, " ", args.b, " ", args.c)
        }
    }
--- request
GET /t?a=1&b=hello%20world&c
--- response_body
1 hello world true



=== TEST 10: get_uri_args with a repeated key
--- config
    location = /t {
        content_by_lua_block {
            local v = ngx.req.get_uri_args().k
            ngx.say(type(v), " ", table.concat(v, ","))
        }
    }
--- request
GET /t?k=1&k=2&k=3
--- response_body
table 1,2,3



=== TEST 11: get_uri_args with an empty value
--- config
    location = /t {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            ngx.say("[", args.e, "]")
        }
    }
--- request
GET /t?e=
--- response_body
[]



=== TEST 12: get_uri_args max args
--- config
    location = /t {
        content_by_lua_block {
            local args, err = ngx.req.get_uri_args(2)
            ngx.say(args.a, " ", args.b, " ", args.c, " ", err)
        }
    }
--- request
GET /t?a=1&b=2&c=3
--- response_body
1 2 nil truncated



=== TEST 13: set_uri_args with a table
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_uri_args({ q = "x y" })
        }
        content_by_lua_block {
            ngx.say(ngx.var.args)
        }
    }
--- request
GET /t?old=1
--- response_body
q=x%20y



=== TEST 14: set_uri_args with a string
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_uri_args("a=3&b=4")
            ngx.say(ngx.var.arg_a, ngx.var.arg_b)
        }
    }
--- request
GET /t
--- response_body
34



=== TEST 15: read_body and get_body_data
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say("body: ", ngx.req.get_body_data())
        }
    }
--- request
POST /t
hello body
--- response_body
body: hello body



=== TEST 16: get_body_data before read_body is nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /t
abc
--- response_body
nil



=== TEST 17: get_body_data without a body is nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 18: lua_need_request_body
--- config
    location = /t {
        lua_need_request_body on;
        content_by_lua_block {
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /t
preread
--- response_body
preread



=== TEST 19: get_post_args
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local args = ngx.req.get_post_args()
            ngx.say(args.name, " ", args.age)
        }
    }
--- request
POST /t
name=jo%20e&age=3
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_body
jo e 3



=== TEST 20: set_body_data replaces the body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.req.set_body_data("new body")
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /t
old
--- response_body
new body



=== TEST 21: read_body in access_by_lua
--- config
    location = /t {
        access_by_lua_block {
            ngx.req.read_body()
            ngx.ctx.body = ngx.req.get_body_data()
        }
        content_by_lua_block {
            ngx.say("got ", ngx.ctx.body)
        }
    }
--- request
POST /t
in access
--- response_body
got in access



=== TEST 22: http_version
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.http_version())
        }
    }
--- request
GET /t HTTP/1.0
--- response_body
1



=== TEST 23: http_version 1.1
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.http_version())
        }
    }
--- request
GET /t
--- response_body
1.1



=== TEST 24: raw_header
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(ngx.req.raw_header())
        }
    }
--- request
GET /t
--- more_headers
X-Raw: 1
--- response_body eval
"GET /t HTTP/1.1\r
Host: localhost\r
Connection: close\r
X-Raw: 1\r
\r
"



=== TEST 25: raw_header without the request line
--- config
    location = /t {
        content_by_lua_block {
            ngx.print(ngx.req.raw_header(true))
        }
    }
--- request
GET /t
--- response_body eval
"Host: localhost\r
Connection: close\r
\r
"



=== TEST 26: set_uri in rewrite
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_uri("/new/path")
        }
        content_by_lua_block {
            ngx.say(ngx.var.uri, " ", ngx.var.request_uri)
        }
    }
--- request
GET /t?a=1
--- response_body
/new/path /t?a=1



=== TEST 27: set_uri with jump goes to another location
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_uri("/other", true)
        }
    }
    location = /other {
        content_by_lua_block {
            ngx.say("other: ", ngx.var.uri)
        }
    }
--- request
GET /t
--- response_body
other: /other



=== TEST 28: is_internal
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.is_internal())
        }
    }
    location = /i {
        rewrite_by_lua_block { ngx.exec("/t") }
    }
--- request
GET /i
--- response_body
true



=== TEST 29: is_internal false for the main request
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.is_internal())
        }
    }
--- request
GET /t
--- response_body
false



=== TEST 30: start_time is close to ngx.now
--- config
    location = /t {
        content_by_lua_block {
            local d = ngx.now() - ngx.req.start_time()
            ngx.say(d >= 0 and d < 1)
        }
    }
--- request
GET /t
--- response_body
true



=== TEST 31: discard_body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.discard_body()
            ngx.say("discarded")
        }
    }
--- request
POST /t
some body
--- response_body
discarded



=== TEST 32: get_headers count of headers
--- config
    location = /t {
        content_by_lua_block {
            local n = 0
            for k, v in pairs(ngx.req.get_headers()) do n = n + 1 end
            ngx.say(n)
        }
    }
--- request
GET /t
--- more_headers
A: 1
B: 2
--- response_body
4



=== TEST 33: encode_args and decode_args
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.encode_args({ a = "b c" }))
            local t = ngx.decode_args("x=1&y=%2F")
            ngx.say(t.x, " ", t.y)
        }
    }
--- request
GET /t
--- response_body
a=b%20c
1 /
