# error_page: internal redirects to URIs and named locations.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: error_page to a location keeps the status
--- config
    error_page 404 /custom404;
    location = /t {
        return 404;
    }
    location = /custom404 {
        return 200 "custom not found\n";
    }
--- request
GET /t
--- error_code: 404
--- response_body
custom not found



=== TEST 2: error_page to a named location
--- config
    location = /t {
        error_page 403 @denied;
        return 403;
    }
    location @denied {
        return 200 "denied: $uri\n";
    }
--- request
GET /t
--- error_code: 403
--- response_body
denied: /t



=== TEST 3: several codes on one error_page
--- config
    error_page 500 502 503 /oops;
    location = /a {
        return 502;
    }
    location = /b {
        return 503;
    }
    location = /oops {
        return 200 "oops\n";
    }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[502, 503]
--- response_body eval
["oops\n", "oops\n"]



=== TEST 4: no error_page for the code: the default page
--- config
    error_page 404 /nf;
    location = /t {
        return 410;
    }
    location = /nf {
        return 200 "nf\n";
    }
--- request
GET /t
--- error_code: 410
--- response_body_like
410 Gone



=== TEST 5: error_page into an internal location
--- config
    error_page 404 /hidden;
    location = /t {
        return 404;
    }
    location = /hidden {
        internal;
        return 200 "hidden page\n";
    }
--- request
GET /t
--- error_code: 404
--- response_body
hidden page



=== TEST 6: error_page target with args
--- config
    location = /t {
        error_page 404 /show?from=t;
        return 404;
    }
    location = /show {
        return 200 "args=$args\n";
    }
--- request
GET /t
--- error_code: 404
--- response_body
args=from=t
