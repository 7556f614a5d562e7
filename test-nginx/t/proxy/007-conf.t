# The proxy and upstream directives' configuration errors, in nginx's words.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();
run_tests();

__DATA__

=== TEST 1: an upstream without servers
--- http_config
    upstream u {
    }
--- config
    location /p/ {
        proxy_pass http://u/;
    }
--- must_die
--- error_log
no servers are inside upstream



=== TEST 2: proxy_pass to an upstream name that does not exist
--- config
    location /p/ {
        proxy_pass http://nosuch_upstream/;
    }
--- must_die
--- error_log
host not found in upstream "nosuch_upstream"



=== TEST 3: proxy_pass with a port to an upstream block
--- http_config
    upstream u {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- config
    location /p/ {
        proxy_pass http://u:8080/;
    }
--- must_die
--- error_log
upstream "u" may not have port 8080



=== TEST 4: a URL that is not http:// or https://
--- config
    location /p/ {
        proxy_pass ftp://127.0.0.1/;
    }
--- must_die
--- error_log
invalid URL prefix



=== TEST 5: a URI part in a regex location
--- config
    location ~ ^/p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/x;
    }
--- must_die
--- error_log
"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block



=== TEST 6: a duplicate upstream
--- http_config
    upstream u {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
    upstream u {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    }
--- config
--- must_die
--- error_log
duplicate upstream "u"



=== TEST 7: an unknown server parameter, and one nginx open source lacks
--- http_config
    upstream u {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT slow_start=10s;
    }
--- config
--- must_die
--- error_log
invalid parameter "slow_start=10s"



=== TEST 8: backup with hash
--- http_config
    upstream u {
        hash $uri;
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT backup;
    }
--- config
--- must_die
--- error_log
balancing method does not support parameter "backup"



=== TEST 9: a server host that does not resolve
--- http_config
    upstream u {
        server nosuch.invalid:80;
    }
--- config
--- must_die
--- error_log
host not found in upstream "nosuch.invalid:80"



=== TEST 10: proxy_http_version 2
--- config
    location /p/ {
        proxy_http_version 2.0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log
invalid value "2.0"



=== TEST 11: an unknown proxy_next_upstream condition
--- config
    location /p/ {
        proxy_next_upstream error http_418;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log
invalid value "http_418"



=== TEST 12: proxy_pass twice
--- config
    location /p/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log
"proxy_pass" directive is duplicate



=== TEST 13: proxy_pass outside a location
--- config
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
--- must_die
--- error_log
"proxy_pass" directive is not allowed here



=== TEST 14: keepalive 0
--- http_config
    upstream u {
        server 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        keepalive 0;
    }
--- config
--- must_die
--- error_log
invalid value "0" in "keepalive" directive



=== TEST 15: proxy_busy_buffers_size too big for proxy_buffers
--- config
    location /p/ {
        proxy_buffers 4 4k;
        proxy_busy_buffers_size 64k;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/;
    }
--- must_die
--- error_log
"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer



=== TEST 16: the last content directive wins: proxy_pass after content_by_lua proxies
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "proxied $uri\n";
        }
    }
--- config
    location /a/ {
        content_by_lua_block {
            ngx.say("lua")
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
    }
    location /b/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/;
        content_by_lua_block {
            ngx.say("lua")
        }
    }
--- request eval
["GET /a/x", "GET /b/x"]
--- response_body eval
["proxied /x\n", "lua\n"]
