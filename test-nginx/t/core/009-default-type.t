# default_type at every level.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: the scaffold's http-level default is text/plain
--- config
    location = /t {
        return 200 "x\n";
    }
--- request
GET /t
--- response_headers
Content-Type: text/plain



=== TEST 2: a location's default_type
--- config
    location = /t {
        default_type application/json;
        return 200 '{"a":1}';
    }
--- request
GET /t
--- response_headers
Content-Type: application/json
--- response_body chomp
{"a":1}



=== TEST 3: a server-level default_type
--- config
    default_type text/html;
    location = /t {
        return 200 "<p>x</p>\n";
    }
--- request
GET /t
--- response_headers
Content-Type: text/html
--- response_body
<p>x</p>



=== TEST 4: default_type with a charset parameter
--- config
    location = /t {
        default_type "text/plain; charset=utf-8";
        return 200 "x\n";
    }
--- request
GET /t
--- response_headers
Content-Type: text/plain; charset=utf-8
