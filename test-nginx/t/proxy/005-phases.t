# Proxied responses through the other phases: rewrite/access before (changing what goes
# upstream, refusing), header_filter_by_lua, body_filter_by_lua and log_by_lua after, upstream
# variables, error_page with proxy_intercept_errors, and subrequests to a proxied location.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Backend yes;
            return 200 "$request_method $request_uri x-a=$http_x_a body=$request_body\n";
        }
        location /post {
            add_header X-Backend yes;
            content_by_lua_block {
                ngx.req.read_body()
                ngx.say("body=", ngx.req.get_body_data(), " x-a=", ngx.var.http_x_a or "")
            }
        }
        location /missing {
            add_header X-Backend yes always;
            return 404 "backend 404\n";
        }
        location /error {
            return 503 "backend 503\n";
        }
        location /parts {
            content_by_lua_block {
                ngx.print("ab")
                ngx.flush(true)
                ngx.print("cd")
            }
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

=== TEST 1: header_filter_by_lua sees the backend's status and headers
--- config
    location /p/ {
        proxy_pass http://backend/;
        header_filter_by_lua_block {
            ngx.header["X-Seen"] = ngx.status .. " " .. tostring(ngx.header["X-Backend"])
            ngx.header["X-Backend"] = nil
        }
    }
--- request
GET /p/x
--- response_headers
X-Seen: 200 yes
X-Backend:
--- response_body
GET /x x-a= body=



=== TEST 2: body_filter_by_lua on the proxied body
--- config
    location /p/ {
        proxy_pass http://backend/;
        header_filter_by_lua_block {
            ngx.header.content_length = nil
        }
        body_filter_by_lua_block {
            ngx.arg[1] = string.upper(ngx.arg[1])
            if ngx.arg[2] then
                ngx.arg[1] = ngx.arg[1] .. "[eof]\n"
            end
        }
    }
--- request
GET /p/parts
--- response_body
ABCD[eof]



=== TEST 3: upstream variables in the log phase
--- config
    location /p/ {
        proxy_pass http://backend/;
        log_by_lua_block {
            ngx.log(ngx.WARN, "upstream: ", ngx.var.upstream_status, " ", ngx.var.upstream_addr == "127.0.0.1:" .. ngx.var.arg_port,
                    " time=", ngx.var.upstream_response_time, " http=", ngx.var.upstream_http_x_backend)
        }
    }
--- request eval
"GET /p/x?port=$ENV{TEST_NGINX_RAND_PORT_1}"
--- response_body_like: GET /x\?port=
--- error_log eval
qr/upstream: 200 true time=\d+\.\d{3} http=yes/



=== TEST 4: $upstream_http_* in add_header, and upstream variables before proxying are empty
--- config
    location /p/ {
        rewrite_by_lua_block {
            ngx.ctx.before = (ngx.var.upstream_status or "nil") .. "/" .. (ngx.var.upstream_addr or "nil")
        }
        add_header X-Up-Backend $upstream_http_x_backend;
        proxy_pass http://backend/;
        header_filter_by_lua_block {
            ngx.header["X-Before"] = ngx.ctx.before
        }
    }
--- request
GET /p/x
--- response_headers
X-Up-Backend: yes
X-Before: nil/nil



=== TEST 5: rewrite_by_lua changes the URI, the args and a header: the changed URI goes as is
--- config
    location /p/ {
        rewrite_by_lua_block {
            ngx.req.set_uri("/p/changed")
            ngx.req.set_uri_args("k=v")
            ngx.req.set_header("X-A", "from-lua")
        }
        proxy_pass http://backend/b/;
    }
--- request
GET /p/x?old=1
--- response_body
GET /p/changed?k=v x-a=from-lua body=



=== TEST 6: access_by_lua may refuse before anything goes upstream
--- config
    location /p/ {
        access_by_lua_block {
            if ngx.var.arg_token ~= "ok" then
                return ngx.exit(ngx.HTTP_UNAUTHORIZED)
            end
        }
        add_header X-Up-Status $upstream_status always;
        proxy_pass http://backend/;
    }
--- request eval
["GET /p/x", "GET /p/y?token=ok"]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Up-Status: ", "X-Up-Status: 200"]



=== TEST 7: a body set by Lua is what goes upstream
--- config
    location /p/ {
        rewrite_by_lua_block {
            ngx.req.read_body()
            ngx.req.set_body_data("new body")
        }
        proxy_pass http://backend/;
    }
--- request
POST /p/post
old
--- response_body
body=new body x-a=



=== TEST 8: without proxy_intercept_errors the backend's error page goes through
--- config
    error_page 404 /err;
    location /p/ {
        proxy_pass http://backend/;
    }
    location = /err {
        return 200 "our page\n";
    }
--- request
GET /p/missing
--- error_code: 404
--- response_headers
X-Backend: yes
--- response_body
backend 404



=== TEST 9: proxy_intercept_errors on with error_page: our page, with the backend's status
--- config
    error_page 404 /err;
    location /p/ {
        proxy_intercept_errors on;
        proxy_pass http://backend/;
    }
    location = /err {
        return 200 "our page: $status\n";
    }
--- request
GET /p/missing
--- error_code: 404
--- response_headers
X-Backend:
--- response_body
our page: 404



=== TEST 10: proxy_intercept_errors on, a status without an error_page passes through
--- config
    error_page 404 /err;
    location /p/ {
        proxy_intercept_errors on;
        proxy_pass http://backend/;
    }
    location = /err {
        return 200 "our page\n";
    }
--- request
GET /p/error
--- error_code: 503
--- response_body
backend 503



=== TEST 11: error_page for a 502 of a dead backend, to a named location
--- config
    location /p/ {
        error_page 502 @down;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/;
    }
    location @down {
        return 200 "backend down: $upstream_status\n";
    }
--- request
GET /p/x
--- error_code: 502
--- response_body
backend down: 502
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 12: ngx.location.capture of a proxied location
--- config
    location = /t {
        content_by_lua_block {
            local res = ngx.location.capture("/p/sub", { args = "a=1" })
            ngx.say(res.status, " ", res.header["X-Backend"], " ", res.body)
            local res = ngx.location.capture("/p/post", { method = ngx.HTTP_POST, body = "captured" })
            ngx.print(res.status, " ", res.body)
        }
    }
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /t
--- response_body
200 yes GET /sub?a=1 x-a= body=

200 body=captured x-a=



=== TEST 13: ngx.location.capture_multi of proxied locations run at once
--- config
    location = /t {
        content_by_lua_block {
            local a, b = ngx.location.capture_multi({ { "/p/a" }, { "/p/missing" } })
            ngx.print(a.status, " ", a.body, b.status, " ", b.body)
        }
    }
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /t
--- response_body
200 GET /a x-a= body=
404 backend 404



=== TEST 14: the access log sees the upstream variables
--- http_config eval
$::HttpConfig . "
    log_format up '\$uri \$status up=\$upstream_status';
"
--- config
    access_log logs/access.log up;
    location /p/ {
        proxy_pass http://backend/;
        log_by_lua_block {
            ngx.log(ngx.WARN, "status ", ngx.status, " up ", ngx.var.upstream_status)
        }
    }
--- request
GET /p/missing
--- error_code: 404
--- wait: 1.2
--- error_log
status 404 up 404
--- access_log
/p/missing 404 up=404



=== TEST 15: X-Accel-Redirect from the backend is an internal redirect
--- http_config
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            add_header X-Accel-Redirect /protected/file?k=v;
            add_header X-Other o;
            return 200 "backend body\n";
        }
    }
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
    location /protected/ {
        internal;
        return 200 "internal $uri $args\n";
    }
--- request
GET /p/x
--- response_headers
X-Accel-Redirect:
X-Other:
--- response_body
internal /protected/file k=v
