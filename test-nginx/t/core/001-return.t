# vim:set ft= ts=4 sw=4 et fdm=marker:
# nresty's core: the `return` directive (no Lua).
use Test::Nginx::Socket 'no_plan';

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3);

no_long_string();
run_tests();

__DATA__

=== TEST 1: return 200 with text
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: return a status only
--- config
    location = /t {
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_body_like: 403 Forbidden



=== TEST 3: return a redirect with a relative URL becomes absolute
--- config
    location = /t {
        return 302 /foo;
    }
--- request
GET /t
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/foo$



=== TEST 4: return 301 with a full URL
--- config
    location = /t {
        return 301 http://example.com/x;
    }
--- request
GET /t
--- error_code: 301
--- response_headers
Location: http://example.com/x



=== TEST 5: return with variables
--- config
    location = /t {
        return 200 "uri=$uri args=$args method=$request_method\n";
    }
--- request
GET /t?a=1&b=2
--- response_body
uri=/t args=a=1&b=2 method=GET



=== TEST 6: return text with a custom status
--- config
    location = /t {
        return 404 "nothing here\n";
    }
--- request
GET /t
--- error_code: 404
--- response_body
nothing here



=== TEST 7: default type is text/plain
--- config
    location = /t {
        return 200 "x";
    }
--- request
GET /t
--- response_headers
Content-Type: text/plain
Content-Length: 1
--- response_body chomp
x



=== TEST 8: HEAD gets no body
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
HEAD /t
--- response_body
--- response_headers
Content-Length: 6



=== TEST 9: HTTP/1.0 request
--- config
    location = /t {
        return 200 "proto=$server_protocol\n";
    }
--- request
GET /t HTTP/1.0
--- response_body
proto=HTTP/1.0



=== TEST 10: request arrays: one connection each
--- config
    location /t {
        return 200 "got $uri\n";
    }
--- request eval
["GET /t/a", "GET /t/b"]
--- response_body eval
["got /t/a\n", "got /t/b\n"]



=== TEST 11: pipelined requests over one connection
--- config
    location /t {
        return 200 "p $uri\n";
    }
--- pipelined_requests eval
["GET /t/1", "GET /t/2", "GET /t/3"]
--- response_body eval
["p /t/1\n", "p /t/2\n", "p /t/3\n"]



=== TEST 12: raw request bytes
--- config
    location = /t {
        return 200 "host=$host\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: Example.COM\r\nConnection: close\r\n\r\n"
--- response_body
host=example.com



=== TEST 13: request split into packets
--- config
    location = /t {
        return 200 "len=$content_length\n";
    }
--- request eval
[["POST /t\nhel", "lo world"]]
--- response_body
len=11



=== TEST 14: more_headers reach variables
--- config
    location = /t {
        return 200 "foo=$http_x_foo ua=$http_user_agent\n";
    }
--- request
GET /t
--- more_headers
X-Foo: bar
User-Agent: tester
--- response_body
foo=bar ua=tester
