# headers-more's more_clear_headers: names, wildcards, -s and -t.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: clear a header set by more_set_headers at an outer level
--- config
    more_set_headers 'X-Secret: s' 'X-Kept: k';
    location = /t {
        more_clear_headers X-Secret;
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Secret
X-Kept: k



=== TEST 2: clear Content-Type
--- config
    location = /t {
        more_clear_headers Content-Type;
        echo ok;
    }
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
ok



=== TEST 3: names have no case
--- config
    more_set_headers 'X-Mixed-Case: m';
    location = /t {
        more_clear_headers x-mixed-case;
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Mixed-Case



=== TEST 4: a trailing * clears every header with that prefix
--- config
    more_set_headers 'X-Hidden-One: 1' 'X-Hidden-Two: 2' 'X-Shown: 3';
    location = /t {
        more_clear_headers 'X-Hidden-*';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Hidden-One
!X-Hidden-Two
X-Shown: 3



=== TEST 5: a wildcard has no case either
--- config
    more_set_headers 'X-Foo-A: a' 'x-foo-b: b' 'X-Food: c' 'X-Bar: d';
    location = /t {
        more_clear_headers 'x-FOO*';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Foo-A
!X-Foo-B
!X-Food
X-Bar: d



=== TEST 6: add_header's headers come after headers-more and stay
--- config
    location = /t {
        add_header X-Added a;
        more_clear_headers 'X-Added';
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Added: a



=== TEST 7: several names in one directive
--- config
    more_set_headers 'X-A: a' 'X-B: b' 'X-C: c';
    location = /t {
        more_clear_headers X-A X-C;
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-A
X-B: b
!X-C



=== TEST 8: -s clears for some statuses only
--- config
    more_set_headers 'X-Debug: d';
    location = /t {
        more_clear_headers -s 404 X-Debug;
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Debug: d



=== TEST 9: -s with the status of the response
--- config
    more_set_headers 'X-Debug: d';
    location = /t {
        more_clear_headers -s '403 404' X-Debug;
        return 404;
    }
--- request
GET /t
--- error_code: 404
--- response_headers
!X-Debug



=== TEST 10: -t with the type of the response
--- config
    more_set_headers 'X-Debug: d';
    location = /t {
        more_clear_headers -t 'text/plain' X-Debug;
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Debug



=== TEST 11: -t with another type
--- config
    more_set_headers 'X-Debug: d';
    location = /t {
        more_clear_headers -t 'application/json' X-Debug;
        echo ok;
    }
--- request
GET /t
--- response_headers
X-Debug: d



=== TEST 12: -t compares the type without its parameters
--- config
    location = /t {
        more_set_headers 'Content-Type: text/plain; charset=utf-8' 'X-Debug: d';
        more_clear_headers -t 'text/plain' X-Debug;
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Debug



=== TEST 13: set then clear in one location: the later one wins
--- config
    location = /t {
        more_set_headers 'X-Gone: g';
        more_clear_headers X-Gone;
        more_clear_headers X-Back;
        more_set_headers 'X-Back: b';
        echo ok;
    }
--- request
GET /t
--- response_headers
!X-Gone
X-Back: b



=== TEST 14: clearing a header that is not there
--- config
    location = /t {
        more_clear_headers X-Not-There 'X-None*';
        echo ok;
    }
--- request
GET /t
--- response_body
ok



=== TEST 15: on an error page
--- config
    more_set_headers 'X-Srv: s';
    location = /t {
        more_clear_headers X-Srv;
        return 500;
    }
--- request
GET /t
--- error_code: 500
--- response_headers
!X-Srv



=== TEST 16: -t needs a value
--- config
    location = /t {
        more_clear_headers -t;
    }
--- must_die
--- error_log
more_clear_headers: option -t takes an argument.
