# Request and response header handling.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: headers with underscores are ignored by default
--- config
    location = /t {
        return 200 "[$http_x_foo]\n";
    }
--- request
GET /t
--- more_headers
X_Foo: underscore
--- response_body
[]



=== TEST 2: header names are case-insensitive
--- config
    location = /t {
        return 200 "[$http_x_mixed]\n";
    }
--- request
GET /t
--- more_headers
x-MiXeD: value
--- response_body
[value]



=== TEST 3: leading and trailing spaces are trimmed from values
--- config
    location = /t {
        return 200 "[$http_x_space]\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nX-Space:    padded   \r\nConnection: close\r\n\r\n"
--- response_body
[padded]



=== TEST 4: a repeated header: the variable has the first one
--- config
    location = /t {
        return 200 "[$http_x_rep]\n";
    }
--- request
GET /t
--- more_headers
X-Rep: one
X-Rep: two
--- response_body
[one]



=== TEST 5: repeated cookies are joined
--- config
    location = /t {
        return 200 "[$http_cookie]\n";
    }
--- request
GET /t
--- more_headers
Cookie: a=1
Cookie: b=2
--- response_body
[a=1; b=2]



=== TEST 6: every response has a Date header
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers_like
Date: ^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$



=== TEST 7: the same add_header name twice at different levels
--- config
    add_header X-Level server;
    location = /t {
        add_header X-Level location;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Level: location



=== TEST 8: the User-Agent and Referer variables
--- config
    location = /t {
        return 200 "ua=$http_user_agent ref=$http_referer\n";
    }
--- request
GET /t
--- more_headers
User-Agent: Mozilla/5.0 (spec)
Referer: http://a.example/b?c=d
--- response_body
ua=Mozilla/5.0 (spec) ref=http://a.example/b?c=d
