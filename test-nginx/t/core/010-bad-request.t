# Malformed requests and protocol edges.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a request line without a version is HTTP/0.9-like, not a 200 with headers
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GARBAGE\r\n\r\n"
--- error_code: 400



=== TEST 2: HTTP/1.1 without Host is a bad request
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 3: HTTP/1.0 without Host is fine
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r\n\r\n"
--- response_body
ok



=== TEST 4: an unsupported HTTP version
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/2.0\r\nHost: localhost\r\n\r\n"
--- error_code: 505



=== TEST 5: headers sent in several packets
--- config
    location = /t {
        return 200 "x=$http_x\n";
    }
--- raw_request eval
["GET /t HTTP/1.1\r\nHo", "st: localhost\r\nX: 1\r\nConn", "ection: close\r\n\r\n"]
--- raw_request_middle_delay: 0.01
--- response_body
x=1



=== TEST 6: two Host headers
--- config
    location = /t {
        return 200 "ok\n";
    }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 7: a request body that is too large
--- config
    location = /t {
        client_max_body_size 10;
        return 200 "ok\n";
    }
--- request eval
"POST /t\n" . ("a" x 100)
--- error_code: 413
