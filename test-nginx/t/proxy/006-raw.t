# proxy_pass to a mock TCP backend ($TEST_NGINX_RAND_PORT_5): the exact request nginx sends
# upstream with proxy_http_version 1.1, and how it takes bad responses (invalid header, early
# close, a header too big, Content-Length with Transfer-Encoding, no status line).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: the request sent upstream: Host, Connection, then the client's headers in order
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/b/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_query eval
"GET /b/x?a=1 HTTP/1.1\r
Host: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_5}\r
Connection: close\r
X-First: 1\r
User-Agent: t\r
X-Last: 2\r
\r
"
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
--- request
GET /p/x?a=1
--- more_headers
X-First: 1
Keep-Alive: 10
User-Agent: t
TE: trailers
X-Last: 2
--- response_body
ok



=== TEST 2: a POST: proxy_set_header's headers first, then Host, Content-Length, the client's
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_set_header X-Set yes;
        proxy_set_header Connection "";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/b/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_query eval
"POST /b/x HTTP/1.1\r
X-Set: yes\r
Host: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_5}\r
Content-Length: 5\r
X-A: 1\r
Content-Type: text/x\r
\r
hello"
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
--- request
POST /p/x
hello
--- more_headers
X-A: 1
Content-Type: text/x
--- response_body
ok



=== TEST 3: an invalid header line from the backend is a 502
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nBad Header\r\n\r\nbody"
--- request
GET /p/x
--- error_code: 502
--- error_log
upstream sent invalid header: "Bad\x20..." while reading response header from upstream



=== TEST 4: the backend closes without answering: 502
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply:
--- request
GET /p/x
--- error_code: 502
--- error_log
upstream prematurely closed connection while reading response header from upstream



=== TEST 5: a response header bigger than proxy_buffer_size: 502
--- config
    location /p/ {
        proxy_buffer_size 1k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nX-Big: " . ("a" x 2000) . "\r\nContent-Length: 2\r\n\r\nok"
--- request
GET /p/x
--- error_code: 502
--- error_log
upstream sent too big header while reading response header from upstream



=== TEST 6: Content-Length and Transfer-Encoding together: nginx 1.22 takes the chunked body
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
--- request
GET /p/x
--- response_headers
Transfer-Encoding: chunked
Content-Length:
--- response_body chomp
ok



=== TEST 7: a chunked response is passed on chunked, its own chunking
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Y: z\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
--- request
GET /p/x
--- response_headers
Transfer-Encoding: chunked
X-Y: z
--- response_body chomp
abcde



=== TEST 8: a body without a length, ended by the close, over HTTP/1.0
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.0 201 Created\r\nX-Y: z\r\n\r\nuntil the close"
--- request
GET /p/x
--- error_code: 201
--- response_body chomp
until the close



=== TEST 9: a status line with an unusual code and reason keeps the reason
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5/;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_reply eval
"HTTP/1.1 299 Fine Thanks\r\nContent-Length: 2\r\n\r\nok"
--- request
GET /p/x
--- error_code: 299
--- raw_response_headers_like
^HTTP/1.1 299 Fine Thanks\r\n
--- response_body chomp
ok
