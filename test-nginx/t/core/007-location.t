# Location matching: exact, prefix, ^~, regex, nesting, and their order.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: exact beats prefix
--- config
    location / {
        return 200 "prefix /\n";
    }
    location = / {
        return 200 "exact /\n";
    }
--- request eval
["GET /", "GET /x"]
--- response_body eval
["exact /\n", "prefix /\n"]



=== TEST 2: the longest prefix wins
--- config
    location /a {
        return 200 "a\n";
    }
    location /a/b {
        return 200 "a/b\n";
    }
--- request eval
["GET /a/x", "GET /a/b/c"]
--- response_body eval
["a\n", "a/b\n"]



=== TEST 3: regex beats prefix
--- config
    location /img {
        return 200 "prefix\n";
    }
    location ~ \.png$ {
        return 200 "regex\n";
    }
--- request eval
["GET /img/a.png", "GET /img/a.gif"]
--- response_body eval
["regex\n", "prefix\n"]



=== TEST 4: ^~ stops the regex search
--- config
    location ^~ /static {
        return 200 "static\n";
    }
    location ~ \.css$ {
        return 200 "css\n";
    }
--- request eval
["GET /static/a.css", "GET /other/a.css"]
--- response_body eval
["static\n", "css\n"]



=== TEST 5: regexes are tried in order
--- config
    location ~ ^/r/ {
        return 200 "first\n";
    }
    location ~ ^/r/x {
        return 200 "second\n";
    }
--- request
GET /r/x
--- response_body
first



=== TEST 6: case-insensitive regex
--- config
    location ~* \.JPG$ {
        return 200 "jpg\n";
    }
--- request
GET /a.jpg
--- response_body
jpg



=== TEST 7: regex captures are variables
--- config
    location ~ ^/user/(\d+)/(?<action>\w+)$ {
        return 200 "id=$1 action=$action\n";
    }
--- request
GET /user/42/edit
--- response_body
id=42 action=edit



=== TEST 8: nested locations
--- config
    location /outer {
        location /outer/inner {
            return 200 "inner\n";
        }
        return 200 "outer\n";
    }
--- request eval
["GET /outer/x", "GET /outer/inner/y"]
--- response_body eval
["outer\n", "inner\n"]



=== TEST 9: the uri is normalized before matching
--- config
    location = /a/b {
        return 200 "matched $uri\n";
    }
--- request
GET /a/./x/../b
--- response_body
matched /a/b



=== TEST 10: percent-encoded uris are decoded
--- config
    location = "/a b" {
        return 200 "space\n";
    }
--- request
GET /a%20b
--- response_body
space



=== TEST 11: no location matches
--- config
    location = /only {
        return 200 "only\n";
    }
--- request
GET /missing
--- error_code: 404
