# add_header: levels, inheritance, `always`.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: add a header
--- config
    location = /t {
        add_header X-Hello world;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Hello: world



=== TEST 2: headers from the server level are inherited
--- config
    add_header X-Server srv;
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Server: srv



=== TEST 3: a location's add_header replaces the server's
--- config
    add_header X-Server srv;
    location = /t {
        add_header X-Loc loc;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Loc: loc
!X-Server



=== TEST 4: not added to error responses without always
--- config
    location = /t {
        add_header X-Plain plain;
        add_header X-Always always always;
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_headers
!X-Plain
X-Always: always



=== TEST 5: values with variables
--- config
    location = /t {
        add_header X-Uri $uri;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Uri: /t



=== TEST 6: an empty value adds no header
--- config
    location = /t {
        add_header X-Empty $arg_none;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
!X-Empty



=== TEST 7: added to redirects
--- config
    location = /t {
        add_header X-R yes;
        return 302 /x;
    }
--- request
GET /t
--- error_code: 302
--- response_headers
X-R: yes
--- raw_response_headers_like
^HTTP/1.1 302 Moved Temporarily\r\n
