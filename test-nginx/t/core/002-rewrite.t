# The rewrite directive: flags, captures, args, redirects.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: rewrite with last finds the location again
--- config
    location /old {
        rewrite ^/old/(.*)$ /new/$1 last;
    }
    location /new {
        return 200 "new: $uri\n";
    }
--- request
GET /old/page
--- response_body
new: /new/page
--- no_error_log
[error]



=== TEST 2: rewrite with break ends the rewrite directives: the return after it does not run
--- config
    location /a {
        rewrite ^/a/(.*)$ /b/$1 break;
        return 200 "still a, uri=$uri\n";
    }
    location /b {
        return 200 "in b\n";
    }
--- request
GET /a/x
--- error_code: 404
--- response_body_like: 404 Not Found



=== TEST 3: redirect flag answers 302
--- config
    location /r {
        rewrite ^/r/(.*)$ /target/$1 redirect;
    }
--- request
GET /r/z
--- error_code: 302
--- response_headers_like
Location: /target/z$



=== TEST 4: permanent flag answers 301
--- config
    location /p {
        rewrite ^ /elsewhere permanent;
    }
--- request
GET /p
--- error_code: 301
--- response_headers_like
Location: http://localhost(:\d+)?/elsewhere



=== TEST 5: old args are appended
--- config
    location /a {
        rewrite ^/a$ /b?x=1 last;
    }
    location /b {
        return 200 "args=$args\n";
    }
--- request
GET /a?y=2
--- response_body
args=x=1&y=2



=== TEST 6: a final question mark drops the old args
--- config
    location /a {
        rewrite ^/a$ /b? last;
    }
    location /b {
        return 200 "args=[$args]\n";
    }
--- request
GET /a?y=2
--- response_body
args=[]



=== TEST 7: a redirect to a full URL
--- config
    location /go {
        rewrite ^/go/(\w+)$ https://example.org/$1;
    }
--- request
GET /go/abc
--- error_code: 302
--- response_headers
Location: https://example.org/abc



=== TEST 8: server-level rewrite
--- config
    rewrite ^/legacy$ /current last;
    location = /current {
        return 200 "current\n";
    }
--- request
GET /legacy
--- response_body
current



=== TEST 9: no match leaves the uri alone
--- config
    location /n {
        rewrite ^/n/nomatch$ /elsewhere last;
        return 200 "uri=$uri\n";
    }
--- request
GET /n/other
--- response_body
uri=/n/other



=== TEST 10: a rewrite cycle is an error
--- config
    location /loop {
        rewrite ^ /loop last;
    }
--- request
GET /loop
--- error_code: 500
--- error_log
rewrite or internal redirection cycle while processing "/loop"



=== TEST 11: captures in several places
--- config
    location /c {
        rewrite ^/c/(\w+)/(\w+)$ /d/$2/$1 last;
    }
    location /d {
        return 200 "$uri\n";
    }
--- request
GET /c/one/two
--- response_body
/d/two/one
