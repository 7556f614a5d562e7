# Request lines: methods, absolute URIs, limits, and what nginx refuses.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);

our $Echo = <<'_EOC_';
    location / {
        return 200 "$request_method $uri $host\n";
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: any upper-case method token
--- config eval: $::Echo
--- request
PROPFIND /dav
--- response_body
PROPFIND /dav localhost



=== TEST 2: a lower-case method is a bad request
--- raw_request eval
"get /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 3: an absolute URI sets the host
--- raw_request eval
"GET http://Other.Example/abs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
GET /abs other.example



=== TEST 4: a path above the root is a bad request
--- raw_request eval
"GET /../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 5: a URI longer than the header buffers
--- request eval
"GET /" . ("a" x 9000)
--- error_code: 414



=== TEST 6: a header line longer than the buffers
--- request
GET /t
--- more_headers eval
"X-Big: " . ("b" x 9000)
--- error_code: 400
--- response_body_like
Request Header Or Cookie Too Large



=== TEST 7: double slashes are merged
--- request
GET //a//b
--- response_body
GET /a/b localhost



=== TEST 8: an encoded slash is decoded in $uri
--- request
GET /a%2fb
--- response_body
GET /a/b localhost



=== TEST 9: a request line with extra spaces between parts
--- raw_request eval
"GET   /spaces   HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- response_body
GET /spaces localhost
