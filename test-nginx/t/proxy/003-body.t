# proxy_pass and bodies: request bodies (Content-Length, chunked, large, proxy_pass_request_body
# off, proxy_request_buffering off over HTTP/1.1), and response bodies (lengths, chunked, large).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        client_max_body_size 4m;
        location /body {
            content_by_lua_block {
                -- the headers as they came: reading a chunked body makes nginx set a length
                ngx.say(ngx.req.get_method(),
                        " content-length=", ngx.var.http_content_length or "none",
                        " transfer-encoding=", ngx.var.http_transfer_encoding or "none")
                ngx.req.read_body()
                local body = ngx.req.get_body_data()
                local file = ngx.req.get_body_file()
                if not body and file then
                    local f = assert(io.open(file, "rb"))
                    body = f:read("*a")
                    f:close()
                end
                body = body or ""
                if #body > 64 then
                    ngx.say("length=", #body, " md5=", ngx.md5(body))
                else
                    ngx.say("body=[", body, "]")
                end
            }
        }
        location /headers-only {
            content_by_lua_block {
                ngx.say(ngx.req.get_method(), " content-length=", ngx.var.http_content_length or "none")
            }
        }
        location /big {
            content_by_lua_block {
                local n = tonumber(ngx.var.arg_n)
                for i = 1, n do
                    ngx.print(string.rep("x", 1023), "\n")
                end
            }
        }
        location /chunks {
            echo one;
            echo_flush;
            echo_sleep 0.05;
            echo two;
            echo_flush;
            echo_sleep 0.05;
            echo three;
        }
        location /length {
            return 200 "fixed length\n";
        }
        location /empty {
            return 204;
        }
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);
    }
});

run_tests();

__DATA__

=== TEST 1: a POST body goes with its Content-Length
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
POST /p/body
hello world
--- response_body
POST content-length=11 transfer-encoding=none
body=[hello world]



=== TEST 2: a chunked request body is read whole and sent with a Content-Length
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- raw_request eval
"POST /p/body HTTP/1.1\r
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
POST content-length=11 transfer-encoding=none
body=[hello world]



=== TEST 3: proxy_request_buffering off over HTTP/1.1 streams a chunked body on, chunked
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_request_buffering off;
        proxy_pass http://backend/;
    }
--- raw_request eval
["POST /p/body HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
\r
5\r
hello\r
", "6\r
 world\r
0\r
\r
"]
--- raw_request_middle_delay: 0.2
--- response_body
POST content-length=none transfer-encoding=chunked
body=[hello world]



=== TEST 4: proxy_request_buffering off, but the whole chunked body came with the header: a length
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_request_buffering off;
        proxy_pass http://backend/;
    }
--- raw_request eval
"POST /p/body HTTP/1.1\r
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
POST content-length=11 transfer-encoding=none
body=[hello world]



=== TEST 5: proxy_request_buffering off with a Content-Length body keeps the length
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_request_buffering off;
        proxy_pass http://backend/;
    }
--- request
PUT /p/body
abc
--- response_body
PUT content-length=3 transfer-encoding=none
body=[abc]



=== TEST 6: proxy_pass_request_body off: no body, but the client's Content-Length still goes
--- config
    location /p/ {
        proxy_pass_request_body off;
        proxy_pass http://backend/;
    }
--- request
POST /p/headers-only
hello world
--- response_body
POST content-length=11



=== TEST 7: proxy_pass_request_body off with proxy_set_header Content-Length ""
--- config
    location /p/ {
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_pass http://backend/;
    }
--- request
POST /p/body
hello world
--- response_body
POST content-length=none transfer-encoding=none
body=[]



=== TEST 8: a large request body (3 MB)
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request eval
"POST /p/body\n" . ("0123456789abcdef" x 196608)
--- response_body eval
"POST content-length=3145728 transfer-encoding=none\nlength=3145728 md5=" . "1a910cd9769e9a112e798595cbeb9446" . "\n"



=== TEST 9: a large response body (2 MB)
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/big?n=2048
--- response_body_filters
length
--- response_body: 2097152



=== TEST 10: a body of unknown length (HTTP/1.0 upstream closes) goes chunked to the client
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/chunks
--- response_headers
Transfer-Encoding: chunked
Content-Length:
--- response_body
one
two
three



=== TEST 11: the same over HTTP/1.1 with proxy_buffering off
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_buffering off;
        proxy_pass http://backend/;
    }
--- request
GET /p/chunks
--- response_headers
Transfer-Encoding: chunked
--- response_body
one
two
three



=== TEST 12: a Content-Length from the backend is kept
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/length
--- response_headers
Content-Length: 13
Transfer-Encoding:
--- response_body
fixed length



=== TEST 13: a 204 from the backend
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/empty
--- error_code: 204
--- response_body
