# The same directives with a master and two workers (master_on, workers).
use Test::Nginx::Socket 'no_plan';

master_on();
workers(2);
repeat_each(3);
run_tests();

__DATA__

=== TEST 1: return through a worker
--- config
    location = /t {
        return 200 "from a worker\n";
    }
--- request
GET /t
--- response_body
from a worker
--- no_error_log
[error]



=== TEST 2: rewrite and error_page in workers
--- config
    error_page 404 /nf;
    location /old {
        rewrite ^/old/(.*)$ /new/$1 last;
    }
    location = /nf {
        return 200 "not found: $uri\n";
    }
--- request
GET /old/x
--- error_code: 404
--- response_body
not found: /nf



=== TEST 3: pipelined requests in a worker
--- config
    location /p {
        return 200 "$uri\n";
    }
--- pipelined_requests eval
["GET /p/1", "GET /p/2"]
--- response_body eval
["/p/1\n", "/p/2\n"]
