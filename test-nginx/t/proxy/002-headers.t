# proxy_pass and headers: what the backend gets (nginx's defaults, proxy_set_header with
# variables and "", proxy_pass_request_headers, inheritance) and what the client gets back
# (hidden Server, Date, X-Pad, X-Accel-*; proxy_hide_header, proxy_pass_header; hop-by-hop).
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_long_string();

our $HttpConfig = <<'_EOC_';
    upstream backend {
        server 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location /headers {
            content_by_lua_block {
                local h = ngx.req.get_headers()
                local keys = {}
                for k in pairs(h) do keys[#keys + 1] = k end
                table.sort(keys)
                for _, k in ipairs(keys) do
                    local v = h[k]
                    if type(v) == "table" then v = table.concat(v, " | ") end
                    ngx.say(k, ": ", v)
                end
            }
        }
        location /resp {
            content_by_lua_block {
                ngx.header["Server"] = "backend/1"
                ngx.header["Date"] = "Mon, 01 Jan 2001 00:00:00 GMT"
                ngx.header["X-Pad"] = "pad"
                ngx.header["X-Accel-Expires"] = "10"
                ngx.header["X-Accel-Buffering"] = "no"
                ngx.header["X-Accel-Limit-Rate"] = "1000"
                ngx.header["X-Accel-Foo"] = "foo"
                ngx.header["X-Custom"] = "c"
                ngx.header["X-Other"] = "o"
                ngx.header["Set-Cookie"] = {"a=1", "b=2"}
                ngx.header["Upgrade"] = "foo"
                ngx.header["Keep-Alive"] = "timeout=5"
                ngx.say("resp")
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

=== TEST 1: by default: Host is $proxy_host, Connection close, the client's headers follow
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
X-A: 1
X-B: two words
User-Agent: test
--- response_body
connection: close
host: backend
user-agent: test
x-a: 1
x-b: two words



=== TEST 2: hop-by-hop headers of the client are not passed (Keep-Alive, TE, Upgrade), others are
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
Keep-Alive: 300
TE: trailers
Upgrade: foo
Proxy-Connection: keep-alive
X-A: 1
--- response_body
connection: close
host: backend
proxy-connection: keep-alive
x-a: 1



=== TEST 3: repeated client headers are all passed
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
X-Dup: 1
X-Dup: 2
Cookie: a=1
Cookie: b=2
--- response_body
connection: close
cookie: a=1 | b=2
host: backend
x-dup: 1 | 2



=== TEST 4: proxy_set_header with variables
--- config
    location /p/ {
        proxy_set_header Host $host:$server_port;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Uri "$uri|$args";
        proxy_pass http://backend/;
    }
--- request
GET /p/headers?a=b
--- more_headers
X-Forwarded-For: 10.0.0.1
--- response_body eval
"connection: close
host: localhost:$ENV{TEST_NGINX_SERVER_PORT}
x-forwarded-for: 10.0.0.1, 127.0.0.1
x-real-ip: 127.0.0.1
x-uri: /p/headers|a=b
"



=== TEST 5: proxy_set_header with "" drops the header, also the client's and Connection
--- config
    location /p/ {
        proxy_set_header X-A "";
        proxy_set_header Connection "";
        proxy_set_header X-Empty $arg_nothing;
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
X-A: 1
X-B: 2
--- response_body
host: backend
x-b: 2



=== TEST 6: proxy_set_header replaces the client's header of that name
--- config
    location /p/ {
        proxy_set_header X-A "set";
        proxy_set_header User-Agent "proxy";
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
X-A: 1
User-Agent: client
--- response_body
connection: close
host: backend
user-agent: proxy
x-a: set



=== TEST 7: proxy_pass_request_headers off: only nginx's and proxy_set_header's
--- config
    location /p/ {
        proxy_pass_request_headers off;
        proxy_set_header X-Set 1;
        proxy_pass http://backend/;
    }
--- request
GET /p/headers
--- more_headers
X-A: 1
Cookie: c=1
--- response_body
connection: close
host: backend
x-set: 1



=== TEST 8: proxy_set_header at an inner level replaces the whole inherited set
--- config
    proxy_set_header X-Server s;
    proxy_set_header X-Both server;
    location /p/ {
        proxy_set_header X-Both location;
        proxy_pass http://backend/;
    }
    location /q/ {
        proxy_pass http://backend/;
    }
--- request eval
["GET /p/headers", "GET /q/headers"]
--- response_body eval
["connection: close\nhost: backend\nx-both: location\n",
"connection: close\nhost: backend\nx-both: server\nx-server: s\n"]



=== TEST 9: a request with a body: Content-Length is nginx's own
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
POST /p/headers
hello
--- more_headers
Content-Type: text/x
--- response_body
connection: close
content-length: 5
content-type: text/x
host: backend



=== TEST 10: response headers: Server, Date, X-Pad and nginx's X-Accel-* are hidden, the rest pass
--- config
    location /p/ {
        proxy_pass http://backend/;
    }
--- request
GET /p/resp
--- response_headers
X-Pad:
X-Accel-Expires:
X-Accel-Buffering:
X-Accel-Limit-Rate:
X-Accel-Foo: foo
X-Custom: c
X-Other: o
Upgrade: foo
Keep-Alive:
Content-Type: text/plain
--- raw_response_headers_like
Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n
--- raw_response_headers_unlike
Server: backend|Date: Mon, 01 Jan 2001
--- response_body
resp



=== TEST 11: proxy_hide_header hides more, proxy_pass_header passes Server and Date
--- config
    location /p/ {
        proxy_hide_header X-Custom;
        proxy_hide_header set-cookie;
        proxy_pass_header Server;
        proxy_pass_header Date;
        proxy_pass_header X-Accel-Expires;
        proxy_pass http://backend/;
    }
--- request
GET /p/resp
--- response_headers
Server: backend/1
Date: Mon, 01 Jan 2001 00:00:00 GMT
X-Custom:
Set-Cookie:
X-Other: o
X-Accel-Expires: 10
X-Pad:
--- response_body
resp



=== TEST 12: add_header on a proxied response
--- config
    location /p/ {
        add_header X-Added "$uri";
        proxy_pass http://backend/;
    }
--- request
GET /p/resp
--- response_headers
X-Added: /p/resp
X-Custom: c
--- response_body
resp
