# Status codes from `return`: the default pages, redirects, and codes without a page.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: 307 and 308 keep the method
--- config
    location = /a {
        return 307 /b;
    }
    location = /c {
        return 308 /d;
    }
--- request eval
["GET /a", "GET /c"]
--- error_code eval
[307, 308]
--- response_headers_like eval
["Location: http://localhost(:\\d+)?/b", "Location: http://localhost(:\\d+)?/d"]



=== TEST 2: the default error page names the status
--- config
    location = /t {
        return 503;
    }
--- request
GET /t
--- error_code: 503
--- response_headers
Content-Type: text/html
--- response_body_like
<title>503 Service Temporarily Unavailable</title>



=== TEST 3: 204 has no body
--- config
    location = /t {
        return 204;
    }
--- request
GET /t
--- error_code: 204
--- response_body
--- response_headers
!Content-Length



=== TEST 4: return 200 with no text gives an empty body
--- config
    location = /t {
        return 200;
    }
--- request
GET /t
--- error_code: 200
--- response_body



=== TEST 5: 400 and 500 pages
--- config
    location = /bad {
        return 400;
    }
    location = /err {
        return 500;
    }
--- request eval
["GET /bad", "GET /err"]
--- error_code eval
[400, 500]
--- response_body_like eval
[qr/400 Bad Request/, qr/500 Internal Server Error/]



=== TEST 6: an unusual code with text
--- config
    location = /t {
        return 299 "custom\n";
    }
--- request
GET /t
--- error_code: 299
--- response_body
custom



=== TEST 7: 444 closes the connection without a response
--- config
    location = /t {
        return 444;
    }
--- request
GET /t
--- ignore_response



=== TEST 8: a relative redirect target with args
--- config
    location = /t {
        return 302 /next?x=$arg_x;
    }
--- request
GET /t?x=5
--- error_code: 302
--- response_headers_like
Location: /next\?x=5$
