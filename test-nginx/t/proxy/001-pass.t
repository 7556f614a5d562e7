# proxy_pass to a backend server of the same nginx (on $TEST_NGINX_RAND_PORT_1) through an
# upstream block or host:port, and nginx's URI rules: with and without a URI part, prefix
# replacement, args, rewritten URIs, internal redirects, variables in the URL.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        server_name backend;
        location / {
            return 200 "$request_method $request_uri host=$http_host\n";
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

=== TEST 1: an upstream block, the URI part replacing the location prefix
--- config
    location /p/ {
        proxy_pass http://backend/b/;
    }
--- request
GET /p/x/y?a=1&b=%20
--- response_body
GET /b/x/y?a=1&b=%20 host=backend



=== TEST 2: without a URI part the client's URI goes as it came
--- config
    location /p/ {
        proxy_pass http://backend;
    }
--- request
GET /p/a%20b/%41?x=%2F
--- response_body
GET /p/a%20b/%41?x=%2F host=backend



=== TEST 3: with a URI part the decoded URI is escaped again
--- config
    location /p/ {
        proxy_pass http://backend/b/;
    }
--- request
GET /p/a%20b/%41%2Fc+d
--- response_body
GET /b/a%20b/A/c+d host=backend



=== TEST 4: host:port without an upstream block; Host is $proxy_host with the port
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
--- request
GET /p/x
--- response_body eval
"GET /x host=127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}\n"



=== TEST 5: a prefix without a slash
--- config
    location /p {
        proxy_pass http://backend/b;
    }
--- request
GET /pxyz?q
--- response_body
GET /bxyz?q host=backend



=== TEST 6: an exact location with a URI part
--- config
    location = /e {
        proxy_pass http://backend/b/c;
    }
--- request
GET /e?z=1
--- response_body
GET /b/c?z=1 host=backend



=== TEST 7: a URI part with its own args: the prefix is replaced by the text as written
--- config
    location /p/ {
        proxy_pass http://backend/b/?fixed=1;
    }
--- request eval
["GET /p/x?a=1", "GET /p/x"]
--- response_body eval
["GET /b/?fixed=1x?a=1 host=backend\n", "GET /b/?fixed=1x host=backend\n"]



=== TEST 8: a regex location passes the URI unchanged
--- config
    location ~ ^/re/(.*)$ {
        proxy_pass http://backend;
    }
--- request
GET /re/a%20b?k=v
--- response_body
GET /re/a%20b?k=v host=backend



=== TEST 9: rewrite ... break: the changed URI goes and the URI part is ignored
--- config
    location /r/ {
        rewrite ^/r/(.*)$ /new/$1 break;
        proxy_pass http://backend/ignored/;
    }
--- request
GET /r/a%20b?x=1
--- response_body
GET /new/a%20b?x=1 host=backend



=== TEST 10: rewrite ... break without a URI part, new args
--- config
    location /r/ {
        rewrite ^ /changed?n=2 break;
        proxy_pass http://backend;
    }
--- request
GET /r/x?x=1
--- response_body
GET /changed?n=2&x=1 host=backend



=== TEST 11: an internal redirect into a proxied location
--- config
    location = /t {
        rewrite ^ /in/x last;
    }
    location /in/ {
        internal;
        proxy_pass http://backend/b/;
    }
--- request
GET /t?a=1
--- response_body
GET /b/x?a=1 host=backend



=== TEST 12: ngx.exec to a named location that proxies
--- config
    location = /t {
        content_by_lua_block {
            ngx.exec("@p")
        }
    }
    location @p {
        proxy_pass http://backend;
    }
--- request
GET /t?a=1
--- response_body
GET /t?a=1 host=backend



=== TEST 13: variables: an upstream name from a variable, no URI part
--- config
    location /v/ {
        set $up backend;
        proxy_pass http://$up;
    }
--- request
GET /v/a%20b?x=1
--- response_body
GET /v/a%20b?x=1 host=backend



=== TEST 14: variables: a URI part from variables is sent as rendered
--- config
    location /v/ {
        set $up backend;
        proxy_pass http://$up/fixed/$arg_x?args=$args;
    }
--- request
GET /v/a%20b?x=1
--- response_body
GET /fixed/1?args=x=1 host=backend



=== TEST 15: variables: host and port from variables; a URI part drops the client's args
--- config
    location /v {
        set $port $TEST_NGINX_RAND_PORT_1;
        proxy_pass http://127.0.0.1:$port/w;
    }
--- request
GET /v?x=1
--- response_body eval
"GET /w host=127.0.0.1:$ENV{TEST_NGINX_RAND_PORT_1}\n"



=== TEST 16: variables naming a host that is not an upstream, without a resolver: 502
--- config
    location /v {
        set $up nosuch.upstream;
        proxy_pass http://$up;
    }
--- request
GET /v
--- error_code: 502
--- error_log
no resolver defined to resolve nosuch.upstream



=== TEST 17: a prefix location ending in "/" redirects its name without the slash (301)
--- config
    location /p/ {
        proxy_pass http://backend/b/;
    }
--- request
GET /p?x=1
--- error_code: 301
--- response_headers_like
Location: http://localhost:\d+/p/\?x=1



=== TEST 18: methods
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request eval
["PUT /p/a", "DELETE /p/b", "OPTIONS /p/c"]
--- response_body eval
["PUT /a host=backend\n", "DELETE /b host=backend\n", "OPTIONS /c host=backend\n"]



=== TEST 19: the upstream protocol: HTTP/1.0 by default, HTTP/1.1 with proxy_http_version
--- config
    location /p10/ {
        proxy_pass http://backend/;
    }
    location /p11/ {
        proxy_http_version 1.1;
        proxy_pass http://backend/;
    }
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "$server_protocol\n";
        }
    }
--- request eval
["GET /p10/", "GET /p11/"]
--- response_body eval
["HTTP/1.0\n", "HTTP/1.1\n"]



=== TEST 20: a HEAD request is proxied as HEAD
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Method $request_method;
            return 200 "body\n";
        }
    }
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
HEAD /p/h
--- response_headers
X-Method: HEAD
Content-Length: 5
--- response_body



=== TEST 21: the backend's status, headers and body come through
--- config
    location /p/ {
        proxy_pass http://backend/b/;
    }
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location /b/ {
            add_header X-From backend always;
            return 404 "not here: $uri\n";
        }
    }
--- request
GET /p/x
--- error_code: 404
--- response_headers
X-From: backend
Content-Type: text/plain
--- response_body
not here: /b/x
