# error_page together with rewrite, named locations and recursion limits.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a named location that rewrites
--- config
    location = /t {
        error_page 404 @fallback;
        return 404;
    }
    location @fallback {
        rewrite ^ /final last;
    }
    location = /final {
        return 200 "final from $request_uri\n";
    }
--- request
GET /t?x=1
--- error_code: 404
--- response_body
final from /t?x=1



=== TEST 2: the error page's own error is not redirected again
--- config
    error_page 404 /nf;
    location = /t {
        return 404;
    }
    location = /nf {
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_body_like
404 Not Found



=== TEST 3: error_page in a location overrides the server's
--- config
    error_page 404 /server-nf;
    location = /t {
        error_page 404 /loc-nf;
        return 404;
    }
    location = /server-nf {
        return 200 "server\n";
    }
    location = /loc-nf {
        return 200 "location\n";
    }
--- request
GET /t
--- error_code: 404
--- response_body
location



=== TEST 4: no error_page after a rewrite cycle: the redirects are used up
--- config
    error_page 500 /five;
    location /loop {
        rewrite ^ /loop last;
    }
    location = /five {
        return 200 "five hundred\n";
    }
--- request
GET /loop
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
rewrite or internal redirection cycle



=== TEST 5: the uri seen by the error page
--- config
    error_page 403 /why;
    location /secret {
        return 403;
    }
    location = /why {
        return 200 "uri=$uri request_uri=$request_uri\n";
    }
--- request
GET /secret/a
--- error_code: 403
--- response_body
uri=/why request_uri=/secret/a
