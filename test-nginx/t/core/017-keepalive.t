# Connections: keep-alive between pipelined requests, Connection headers, HTTP/1.0.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a closing request gets Connection: close
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
Connection: close



=== TEST 2: pipelined requests with different methods and bodies
--- config
    location /m {
        return 200 "$request_method $uri $content_length\n";
    }
--- pipelined_requests eval
["GET /m/a", "POST /m/b\nhello", "HEAD /m/c", "GET /m/d"]
--- response_body eval
["GET /m/a \n", "POST /m/b 5\n", "", "GET /m/d \n"]



=== TEST 3: the keep-alive response says so
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\n\r\nGET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_headers_like
Connection: keep-alive\r\n



=== TEST 4: HTTP/1.0 closes by default
--- config
    location = /t {
        return 200 "one\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r\n\r\n"
--- response_body
one
--- raw_response_headers_unlike
Connection: keep-alive



=== TEST 5: errors in a pipeline end the connection
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\n\r\nBROKEN\r\n\r\n"
--- response_body
ok



=== TEST 6: keepalive_timeout 0 closes after each response
--- config
    keepalive_timeout 0;
    location = /t {
        return 200 "once\n";
    }
--- request
GET /t
--- response_headers
Connection: close
--- response_body
once
