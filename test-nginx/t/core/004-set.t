# The set directive and variables in values.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: set a variable and use it
--- config
    location = /t {
        set $greeting "hello";
        return 200 "$greeting world\n";
    }
--- request
GET /t
--- response_body
hello world



=== TEST 2: set from other variables
--- config
    location = /t {
        set $pair "$arg_a:$arg_b";
        return 200 "pair=$pair\n";
    }
--- request
GET /t?a=x&b=y
--- response_body
pair=x:y



=== TEST 3: a variable set twice keeps the last value
--- config
    location = /t {
        set $v one;
        set $v two;
        return 200 "v=$v\n";
    }
--- request
GET /t
--- response_body
v=two



=== TEST 4: braces separate a variable from text
--- config
    location = /t {
        set $name "file";
        return 200 "${name}name\n";
    }
--- request
GET /t
--- response_body
filename



=== TEST 5: server-level set is seen in the location
--- config
    set $from_server "srv";
    location = /t {
        return 200 "from=$from_server\n";
    }
--- request
GET /t
--- response_body
from=srv



=== TEST 6: an empty value
--- config
    location = /t {
        set $empty "";
        return 200 "[$empty]\n";
    }
--- request
GET /t
--- response_body
[]



=== TEST 7: an unknown variable fails the configuration
--- config
    location = /t {
        return 200 "$no_such_variable_here\n";
    }
--- must_die
--- error_log
unknown "no_such_variable_here" variable



=== TEST 8: request line variables
--- config
    location /t {
        return 200 "request=$request\nrequest_uri=$request_uri\nis_args=$is_args\n";
    }
--- request
GET /t/x?k=v
--- response_body
request=GET /t/x?k=v HTTP/1.1
request_uri=/t/x?k=v
is_args=?



=== TEST 9: argument variables are not decoded
--- config
    location = /t {
        return 200 "q=$arg_q\n";
    }
--- request
GET /t?q=a%20b
--- response_body
q=a%20b
