# vim:set ft= ts=4 sw=4 et fdm=marker:
# The response from Lua: ngx.header, ngx.status, ngx.resp.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: set a response header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Hello"] = "world"
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
X-Hello: world
--- response_body
ok
--- no_error_log
[error]



=== TEST 2: underscores in ngx.header names become dashes
--- config
    location = /t {
        content_by_lua_block {
            ngx.header.x_my_header = "v"
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
X-My-Header: v



=== TEST 3: content_type
--- config
    location = /t {
        content_by_lua_block {
            ngx.header.content_type = "application/json"
            ngx.say("{}")
        }
    }
--- request
GET /t
--- response_headers
Content-Type: application/json



=== TEST 4: a multi-value header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["Set-Cookie"] = { "a=1", "b=2" }
            ngx.say("ok")
        }
    }
--- request
GET /t
--- raw_response_headers_like
Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n



=== TEST 5: read back a response header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-A"] = "1"
            ngx.say(ngx.header["X-A"], " ", ngx.header.x_a)
        }
    }
--- request
GET /t
--- response_body
1 1



=== TEST 6: read back a multi-value header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-M"] = { "a", "b" }
            local v = ngx.header["X-M"]
            ngx.say(type(v), " ", table.concat(v, ","))
        }
    }
--- request
GET /t
--- response_body
table a,b



=== TEST 7: a number header value
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Num"] = 42
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
X-Num: 42



=== TEST 8: clear a header by setting nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-Gone"] = "x"
            ngx.header["X-Gone"] = nil
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
!X-Gone



=== TEST 9: ngx.status sets the status
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 418
            ngx.say("teapot")
        }
    }
--- request
GET /t
--- error_code: 418
--- response_body
teapot



=== TEST 10: ngx.status reads 0 before it is set? no: 200 default
--- config
    location = /t {
        content_by_lua_block {
            local before = ngx.status
            ngx.say("ok")
            ngx.log(ngx.WARN, "status before: ", before, " after: ", ngx.status)
        }
    }
--- request
GET /t
--- response_body
ok
--- error_log
after: 200



=== TEST 11: ngx.status after the headers are sent logs an error
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("sent")
            ngx.status = 404
        }
    }
--- request
GET /t
--- response_body
sent
--- error_log
attempt to set ngx.status after sending out response headers



=== TEST 12: ngx.headers_sent
--- config
    location = /t {
        content_by_lua_block {
            local a = ngx.headers_sent
            ngx.send_headers()
            local b = ngx.headers_sent
            ngx.say(a, " ", b)
        }
    }
--- request
GET /t
--- response_body
false true



=== TEST 13: ngx.header after the headers are sent logs an error
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("x")
            ngx.header["X-Late"] = "1"
        }
    }
--- request
GET /t
--- response_headers
!X-Late
--- error_log
attempt to set ngx.header.HEADER after sending out response headers



=== TEST 14: ngx.resp.get_headers
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["X-One"] = "1"
            ngx.header["X-Two"] = "2"
            local h = ngx.resp.get_headers()
            ngx.say(h["x-one"], " ", h["x-two"])
        }
    }
--- request
GET /t
--- response_body
1 2



=== TEST 15: ngx.resp's add_header adds a second value
--- config
    location = /t {
        content_by_lua_block {
            local resp = require "ngx.resp"
            ngx.header["X-Add"] = "a"
            resp.add_header("X-Add", "b")
            ngx.say("ok")
        }
    }
--- request
GET /t
--- raw_response_headers_like
X-Add: a\r\nX-Add: b\r\n



=== TEST 16: the Server and Date headers are there
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers_like
Server: ^(nginx|openresty|nresty)
Date: GMT$



=== TEST 17: an explicit Content-Length
--- config
    location = /t {
        content_by_lua_block {
            ngx.header.content_length = 6
            ngx.say("fixed")
        }
    }
--- request
GET /t
--- response_headers
Content-Length: 6
!Transfer-Encoding
--- response_body
fixed



=== TEST 18: HTTP/1.0 responses are not chunked
--- config
    location = /t {
        content_by_lua_block {
            ngx.say("old")
        }
    }
--- request
GET /t HTTP/1.0
--- response_headers
!Transfer-Encoding
--- response_body
old



=== TEST 19: Location header with a 302 status
--- config
    location = /t {
        content_by_lua_block {
            ngx.header.location = "/elsewhere"
            ngx.status = 302
            ngx.say("moved")
        }
    }
--- request
GET /t
--- error_code: 302
--- response_headers_like
Location: /elsewhere$



=== TEST 20: Cache-Control set through ngx.header
--- config
    location = /t {
        content_by_lua_block {
            ngx.header["Cache-Control"] = "no-store"
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
Cache-Control: no-store



=== TEST 21: add_header is applied to a Lua response
--- config
    location = /t {
        add_header X-Static static;
        content_by_lua_block {
            ngx.say("ok")
        }
    }
--- request
GET /t
--- response_headers
X-Static: static



=== TEST 22: ngx.header of an unset header is nil
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.header["X-None"])
        }
    }
--- request
GET /t
--- response_body
nil



=== TEST 23: the status line reason of a custom status
--- config
    location = /t {
        content_by_lua_block {
            ngx.status = 299
            ngx.say("odd")
        }
    }
--- request
GET /t
--- error_code: 299
--- raw_response_headers_like
^HTTP/1.1 299 \r\n
