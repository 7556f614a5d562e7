# rewrite: captures in the args part, escaping, and $args after a rewrite.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a capture moved into the args
--- config
    location /item {
        rewrite ^/item/(\w+)$ /show?id=$1 last;
    }
    location = /show {
        return 200 "id=$arg_id args=$args\n";
    }
--- request
GET /item/abc
--- response_body
id=abc args=id=abc



=== TEST 2: an escaped capture stays escaped in the args
--- config
    location /q {
        rewrite ^/q/(.*)$ /search?q=$1 last;
    }
    location = /search {
        return 200 "args=$args\n";
    }
--- request
GET /q/a%20b
--- response_body
args=q=a%20b



=== TEST 3: a plain capture with a space from decoding
--- config
    location /p {
        rewrite ^/p/(.*)$ /target/$1 break;
        return 200 "never\n";
    }
--- request
GET /p/x%2Fy
--- error_code: 404



=== TEST 4: $uri changes, $request_uri does not
--- config
    location /from {
        rewrite ^/from/(.*)$ /to/$1 last;
    }
    location /to {
        return 200 "uri=$uri request_uri=$request_uri\n";
    }
--- request
GET /from/z?k=1
--- response_body
uri=/to/z request_uri=/from/z?k=1



=== TEST 5: several rewrites in a row without a flag
--- config
    location /chain {
        rewrite ^/chain/a$ /chain/b;
        rewrite ^/chain/b$ /chain/c;
        rewrite ^/chain/c$ /done last;
    }
    location = /done {
        return 200 "done $uri\n";
    }
--- request
GET /chain/a
--- response_body
done /done



=== TEST 6: a rewrite in an if
--- config
    location /cond {
        if ($arg_mobile) {
            rewrite ^/cond/(.*)$ /m/$1 last;
        }
        return 200 "desktop $uri\n";
    }
    location /m {
        return 200 "mobile $uri\n";
    }
--- request eval
["GET /cond/page?mobile=1", "GET /cond/page"]
--- response_body eval
["mobile /m/page\n", "desktop /cond/page\n"]



=== TEST 7: a redirect keeps the client's args
--- config
    location /r {
        rewrite ^/r/(.*)$ /new/$1 permanent;
    }
--- request
GET /r/x?keep=1
--- error_code: 301
--- response_headers_like
Location: /new/x\?keep=1$
