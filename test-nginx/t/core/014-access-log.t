# access_log and log_format, checked with access_log / no_access_log.
# nresty flushes an access log without buffer= up to 1 s after the request (nginx writes it at
# once), hence the waits.
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
run_tests();

__DATA__

=== TEST 1: a custom format
--- http_config
    log_format mini '$request_method $uri $status';
--- config
    access_log logs/access.log mini;
    location = /t {
        return 201 "created\n";
    }
--- request
POST /t
x=1
--- error_code: 201
--- wait: 1.2
--- access_log
POST /t 201



=== TEST 2: access_log off in a location
--- http_config
    log_format mini '$request_method $uri $status';
--- config
    access_log logs/access.log mini;
    location = /quiet {
        access_log off;
        return 200 "q\n";
    }
--- request
GET /quiet
--- wait: 1.2
--- no_access_log
GET /quiet



=== TEST 3: the combined format by default
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t?a=b
--- more_headers
User-Agent: spec-agent/1.0
Referer: http://ref.example/
--- wait: 1.2
--- access_log eval
qr{^127\.0\.0\.1 - - \[[^\]]+\] "GET /t\?a=b HTTP/1\.1" 200 3 "http://ref\.example/" "spec-agent/1\.0"$}m



=== TEST 4: variables with the request's args in the format
--- http_config
    log_format args 'args=$args a=$arg_a';
--- config
    access_log logs/access.log args;
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t?a=42&z=1
--- wait: 1.2
--- access_log
args=a=42&z=1 a=42
