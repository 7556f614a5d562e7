# proxy_pass failures and retries: 502 on a refused connect, 504 on a read timeout, bad
# responses, proxy_next_upstream (error, timeout, http_500, off, tries), failure accounting
# (max_fails, "no live upstreams"), backup and down peers, $upstream_addr and $upstream_status.
# $TEST_NGINX_RAND_PORT_1 is a live backend, $TEST_NGINX_RAND_PORT_2 and _3 are free ports.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "live $request_uri\n";
        }
        location /fail {
            return 500 "failed\n";
        }
        location /slow {
            content_by_lua_block {
                ngx.sleep(1)
                ngx.say("slow")
            }
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_4;
        location / {
            return 500 "five hundred\n";
        }
        location /forbid {
            return 403;
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

=== TEST 1: a refused connect is a 502, logged as nginx logs it
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/;
    }
--- request
GET /p/x?a=1
--- error_code: 502
--- response_body_like: 502 Bad Gateway
--- error_log eval
qr/\[error\] .*connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/p\/x\?a=1 HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/x\?a=1", host: "localhost"/



=== TEST 2: proxy_read_timeout: a slow backend is a 504
--- config
    location /p/ {
        proxy_read_timeout 200ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /p/slow
--- error_code: 504
--- response_body_like: 504 Gateway Time-out
--- error_log eval
qr/\[error\] .*upstream timed out \(110: Connection timed out\) while reading response header from upstream, client: 127\.0\.0\.1, server: localhost, request: "GET \/p\/slow HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/slow", host: "localhost"/



=== TEST 3: a 502 with $upstream_addr and $upstream_status
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr always;
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/;
    }
--- request
GET /p/x
--- error_code: 502
--- response_headers eval
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}\nX-Up-Status: 502"



=== TEST 4: the next peer after a refused connect; $upstream_addr shows both
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr;
        add_header X-Up-Status $upstream_status;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request
GET /p/a
--- response_headers eval
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}, 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}\nX-Up-Status: 502, 200"
--- response_body
live /a
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 5: the failed peer rests for fail_timeout: the next requests go to the live one
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request eval
["GET /p/a", "GET /p/b", "GET /p/c"]
--- response_headers eval
["X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}, 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}",
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}",
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}"]
--- response_body eval
["live /a\n", "live /b\n", "live /c\n"]



=== TEST 6: every peer failed, then "no live upstreams" and $upstream_addr is the upstream's name
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr always;
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_3};
    }
"
--- request eval
["GET /p/a", "GET /p/b"]
--- error_code eval
[502, 502]
--- response_headers eval
["X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}, 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_3}\nX-Up-Status: 502, 502",
"X-Up-Addr: u\nX-Up-Status: 502"]
--- error_log
no live upstreams while connecting to upstream



=== TEST 7: proxy_next_upstream off: no second try
--- config
    location /p/ {
        proxy_next_upstream off;
        add_header X-Up-Addr $upstream_addr always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request
GET /p/a
--- error_code: 502
--- response_headers eval
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}"



=== TEST 8: proxy_next_upstream_tries 1: no second try
--- config
    location /p/ {
        proxy_next_upstream_tries 1;
        add_header X-Up-Addr $upstream_addr always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request
GET /p/a
--- error_code: 502
--- response_headers eval
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}"



=== TEST 9: a 500 is passed on unless proxy_next_upstream names http_500
--- config
    location /p/ {
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://u/;
    }
    location /q/ {
        proxy_next_upstream error timeout http_500;
        add_header X-Up-Status $upstream_status always;
        add_header X-Up-Addr $upstream_addr always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request eval
["GET /p/a", "GET /p/b", "GET /q/c"]
--- error_code eval
[500, 200, 200]
--- response_headers eval
["X-Up-Status: 500",
"X-Up-Status: 200",
"X-Up-Status: 500, 200\nX-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4}, 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}"]
--- response_body eval
["five hundred\n", "live /b\n", "live /c\n"]



=== TEST 10: every peer answered 500 under http_500: the last answer goes to the client
--- config
    location /p/ {
        proxy_next_upstream http_500;
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request
GET /p/fail
--- error_code: 500
--- response_headers
X-Up-Status: 500, 500
--- response_body
failed



=== TEST 11: http_403 retries a 403
--- config
    location /p/ {
        proxy_next_upstream error http_403;
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://u/forbid;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request
GET /p/
--- response_headers
X-Up-Status: 403, 200
--- response_body
live /forbid



=== TEST 12: a timeout goes to the next peer
--- config
    location /p/ {
        proxy_read_timeout 200ms;
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4};
    }
"
--- request
GET /p/slow
--- error_code: 500
--- response_headers
X-Up-Status: 504, 500
--- response_body
five hundred
--- error_log
upstream timed out (110: Connection timed out) while reading response header from upstream



=== TEST 13: a backup peer is used when the primary fails; a down peer never
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4} down;
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} backup;
    }
"
--- request eval
["GET /p/a", "GET /p/b"]
--- response_headers eval
["X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2}, 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}",
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}"]
--- response_body eval
["live /a\n", "live /b\n"]



=== TEST 14: weighted round robin is smooth: weight=2 and 1 go a, b, a, a, b, a
--- config
    location /p/ {
        add_header X-Up-Addr $upstream_addr always;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1} weight=2;
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4};
    }
"
--- request eval
["GET /p/1", "GET /p/2", "GET /p/3", "GET /p/4", "GET /p/5", "GET /p/6"]
--- error_code eval
[200, 500, 200, 200, 500, 200]
--- response_headers eval
["X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}", "X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4}",
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}", "X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}",
"X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_4}", "X-Up-Addr: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}"]
