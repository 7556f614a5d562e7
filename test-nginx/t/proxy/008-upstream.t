# upstream blocks at work: keepalive connections reused (the backend's $connection_requests),
# `hash $key` choosing the peer by key, and a WebSocket upgrade passed through.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "a $connection_requests $http_connection\n";
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_2;
        location / {
            return 200 "b $connection_requests\n";
        }
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_3;
        location / {
            return 200 "c $connection_requests\n";
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

=== TEST 1: without keepalive every request has its own upstream connection
--- config
    location /p/ {
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
    }
"
--- request eval
["GET /p/1", "GET /p/2", "GET /p/3"]
--- response_body eval
["a 1 close\n", "a 1 close\n", "a 1 close\n"]



=== TEST 2: keepalive with HTTP/1.1 and Connection "": one connection for all
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
        keepalive 4;
    }
"
--- request eval
["GET /p/1", "GET /p/2", "GET /p/3"]
--- response_body eval
["a 1 \n", "a 2 \n", "a 3 \n"]



=== TEST 3: keepalive with nginx's default Connection: close reuses nothing
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
        keepalive 4;
    }
"
--- request eval
["GET /p/1", "GET /p/2"]
--- response_body eval
["a 1 close\n", "a 1 close\n"]



=== TEST 4: keepalive_requests closes the connection after that many requests
--- config
    location /p/ {
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
        keepalive 4;
        keepalive_requests 2;
    }
"
--- request eval
["GET /p/1", "GET /p/2", "GET /p/3", "GET /p/4", "GET /p/5"]
--- response_body eval
["a 1 \n", "a 2 \n", "a 1 \n", "a 2 \n", "a 1 \n"]



=== TEST 5: hash $arg_k: the same key goes to the same peer
--- config
    location /p/ {
        proxy_pass http://u/;
    }
--- http_config eval
$::HttpConfig . "
    upstream u {
        hash \$arg_k;
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_2};
        server 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_3};
    }
"
--- request eval
["GET /p/?k=alpha", "GET /p/?k=beta", "GET /p/?k=gamma", "GET /p/?k=delta", "GET /p/?k=alpha", "GET /p/?k=beta", "GET /p/?k=epsilon", "GET /p/?k=zeta"]
--- response_body eval
["b 1\n", "b 1\n", "a 1 close\n", "c 1\n", "b 1\n", "b 1\n", "b 1\n", "c 1\n"]



=== TEST 6: a WebSocket upgrade: the 101 and its headers come back (the runner reads no further)
--- config
    location /ws {
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_5;
    }
--- tcp_listen: $TEST_NGINX_RAND_PORT_5
--- tcp_query eval
"GET /ws HTTP/1.1\r
Upgrade: websocket\r
Connection: upgrade\r
Host: 127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_5}\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- tcp_reply eval
"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nframes"
--- raw_request eval
"GET /ws HTTP/1.1\r
Host: localhost\r
Upgrade: websocket\r
Connection: Upgrade\r
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
Sec-WebSocket-Version: 13\r
\r
"
--- error_code: 101
--- raw_response_headers_like
^HTTP/1.1 101 Switching Protocols\r\n.*Connection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$
