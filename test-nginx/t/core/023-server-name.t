# server_name: a regex with captures, and $server_name.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a host that does not match still gets the only server
--- server_name: ~^(?<sub>\w+)\.example\.com$
--- config
    location = /t {
        return 200 "sub=[$sub]\n";
    }
--- request
GET /t
--- more_headers
Host: other.test
--- response_body
sub=[]



=== TEST 2: a plain server_name
--- server_name: api.example.com
--- config
    location = /t {
        return 200 "$server_name $host\n";
    }
--- request
GET /t
--- more_headers
Host: API.example.com
--- response_body
api.example.com api.example.com



=== TEST 3: a regex server_name's named capture is a variable
--- server_name: ~^(?<sub>\w+)\.example\.com$
--- config
    location = /t {
        return 200 "sub=[$sub] 1=[$1]\n";
    }
--- request
GET /t
--- more_headers
Host: shop.example.com
--- response_body
sub=[shop] 1=[shop]
