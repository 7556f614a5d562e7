# Built-in variables seen through `return` (no Lua).
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: host from the Host header, lowercased and without the port
--- config
    location = /t {
        return 200 "host=$host http_host=$http_host\n";
    }
--- request
GET /t
--- more_headers
Host: WWW.Example.com:8080
--- response_body
host=www.example.com http_host=WWW.Example.com:8080



=== TEST 2: host falls back to server_name without a Host header
--- config
    location = /t {
        return 200 "host=$host\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r\n\r\n"
--- response_body
host=localhost



=== TEST 3: the client address and scheme
--- config
    location = /t {
        return 200 "$remote_addr $scheme $server_protocol\n";
    }
--- request
GET /t
--- response_body
127.0.0.1 http HTTP/1.1



=== TEST 4: the server port is the one listened on
--- config
    location = /t {
        return 200 "$server_port\n";
    }
--- request
GET /t
--- response_body eval
"$ENV{TEST_NGINX_SERVER_PORT}\n"



=== TEST 5: cookies
--- config
    location = /t {
        return 200 "a=$cookie_a b=$cookie_b\n";
    }
--- request
GET /t
--- more_headers
Cookie: a=1; b=two
--- response_body
a=1 b=two



=== TEST 6: request method and body length
--- config
    location = /t {
        return 200 "$request_method $content_length\n";
    }
--- request
PUT /t
0123456789
--- response_body
PUT 10



=== TEST 7: dashes in header names become underscores
--- config
    location = /t {
        return 200 "[$http_x_custom_header]\n";
    }
--- request
GET /t
--- more_headers
X-Custom-Header: v1
--- response_body
[v1]



=== TEST 8: a missing header is empty
--- config
    location = /t {
        return 200 "[$http_x_missing]\n";
    }
--- request
GET /t
--- response_body
[]



=== TEST 9: args and arg_ variables
--- config
    location = /t {
        return 200 "args=$args a=$arg_a b=$arg_b c=[$arg_c]\n";
    }
--- request
GET /t?a=1&b=x%20y
--- response_body
args=a=1&b=x%20y a=1 b=x%20y c=[]



=== TEST 10: the uri is decoded, request_uri is not
--- config
    location /t {
        return 200 "uri=$uri request_uri=$request_uri\n";
    }
--- request
GET /t/a%2Fb%20c
--- response_body
uri=/t/a/b c request_uri=/t/a%2Fb%20c



=== TEST 11: the server name
--- config
    location = /t {
        return 200 "$server_name\n";
    }
--- request
GET /t
--- response_body
localhost



=== TEST 12: is_args and document_uri without args
--- config
    location = /t {
        return 200 "[$is_args][$document_uri]\n";
    }
--- request
GET /t
--- response_body
[][/t]
