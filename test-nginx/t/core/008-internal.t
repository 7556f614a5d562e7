# internal locations and named locations.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: an internal location answers 404 to clients
--- config
    location = /private {
        internal;
        return 200 "secret\n";
    }
--- request
GET /private
--- error_code: 404



=== TEST 2: a rewrite may enter an internal location
--- config
    location = /public {
        rewrite ^ /private last;
    }
    location = /private {
        internal;
        return 200 "secret via rewrite\n";
    }
--- request
GET /public
--- response_body
secret via rewrite



=== TEST 3: a named location is not reachable by uri
--- config
    location @named {
        return 200 "named\n";
    }
--- request
GET /@named
--- error_code: 404
