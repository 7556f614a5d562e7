# vim:set ft= ts=4 sw=4 et fdm=marker:
# ngx.req: more URI argument, header and body cases.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: set_uri_args with a list value and a boolean
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_uri_args({ a = { "1", "2" } })
            ngx.say(ngx.var.args)
            ngx.req.set_uri_args({ flag = true })
            ngx.say(ngx.var.args)
        }
    }
--- request
GET /t
--- response_body
a=1&a=2
flag
--- no_error_log
[error]



=== TEST 2: get_uri_args decodes plus signs
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.get_uri_args().q)
        }
    }
--- request
GET /t?q=a+b%2Bc
--- response_body
a b+c



=== TEST 3: get_uri_args of a key without a name
--- config
    location = /t {
        content_by_lua_block {
            local n = 0
            for k, v in pairs(ngx.req.get_uri_args()) do n = n + 1 end
            ngx.say(n)
        }
    }
--- request
GET /t?=x&&y=1
--- response_body
1



=== TEST 4: get_post_args with a repeated key
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local v = ngx.req.get_post_args().k
            ngx.say(table.concat(v, ","))
        }
    }
--- request
POST /t
k=1&k=2
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- response_body
1,2



=== TEST 5: get_post_args without reading the body
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(ngx.req.get_post_args)
            ngx.say(ok, " ", err)
        }
    }
--- request
POST /t
a=1
--- response_body
false no request body found; maybe you should turn on lua_need_request_body?



=== TEST 6: a larger request body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            local data = ngx.req.get_body_data()
            ngx.say(#data, " ", string.sub(data, 1, 3))
        }
    }
--- request eval
"POST /t\n" . ("abc" x 1000)
--- response_body
3000 abc



=== TEST 7: read_body twice
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
--- request
POST /t
twice
--- response_body
twice



=== TEST 8: get_body_file is nil for an in-memory body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_file())
        }
    }
--- request
POST /t
small
--- response_body
nil



=== TEST 9: set_header replaces a header
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_header("User-Agent", "changed")
            ngx.say(ngx.var.http_user_agent)
        }
    }
--- request
GET /t
--- more_headers
User-Agent: original
--- response_body
changed



=== TEST 10: set_header with nil removes it
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_header("X-A", nil)
            ngx.say(ngx.req.get_headers()["x-a"])
        }
    }
--- request
GET /t
--- more_headers
X-A: 1
--- response_body
nil



=== TEST 11: the Host header
--- config
    location = /t {
        content_by_lua_block {
            ngx.say(ngx.req.get_headers().host, " ", ngx.var.http_host)
        }
    }
--- request
GET /t
--- response_body
localhost localhost



=== TEST 12: get_method of a HEAD request in a log
--- config
    location = /t {
        content_by_lua_block { ngx.say("x") }
        log_by_lua_block {
            ngx.log(ngx.WARN, "method: ", ngx.req.get_method())
        }
    }
--- request
HEAD /t
--- response_body
--- error_log
method: HEAD



=== TEST 13: set_method to POST
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.set_method(ngx.HTTP_POST)
            ngx.say(ngx.req.get_method())
        }
    }
--- request
GET /t
--- response_body
POST



=== TEST 14: set_method with a bad value
--- config
    location = /t {
        content_by_lua_block {
            local ok, err = pcall(function() ngx.req.set_method(12345) end)
            ngx.say(ok, " ", (string.gsub(err, "^.-:%d+: ", "")))
        }
    }
--- request
GET /t
--- response_body
false unsupported HTTP method: 12345



=== TEST 15: set_uri with args in it is an error? it is escaped
--- config
    location = /t {
        rewrite_by_lua_block {
            ngx.req.set_uri("/a b")
        }
        content_by_lua_block {
            ngx.say(ngx.var.uri)
        }
    }
--- request
GET /t
--- response_body
/a b



=== TEST 16: a chunked request body
--- config
    location = /t {
        content_by_lua_block {
            ngx.req.read_body()
            ngx.say(ngx.req.get_body_data())
        }
    }
--- raw_request eval
"POST /t HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
hello\r
6\r
 world\r
0\r
\r
"
--- response_body
hello world
