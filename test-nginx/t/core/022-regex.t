# PCRE features in location and if regexes.
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: lookahead in a location
--- config
    location ~ ^/files/(?!private/)(.+)$ {
        return 200 "public $1\n";
    }
    location /files/ {
        return 403;
    }
--- request eval
["GET /files/a.txt", "GET /files/private/b.txt"]
--- error_code eval
[200, 403]



=== TEST 2: counted repetition needs the regex quoted (braces end a directive)
--- config
    location ~ "^/year/(\d{4})/(\d{1,2})$" {
        return 200 "y=$1 m=$2\n";
    }
--- request eval
["GET /year/2024/7", "GET /year/24/7"]
--- error_code eval
[200, 404]



=== TEST 3: named captures in if
--- config
    location = /t {
        if ($arg_date ~ ^(?<y>\d+)-(?<m>\d+)$) {
            return 200 "year=$y month=$m\n";
        }
        return 400;
    }
--- request
GET /t?date=2025-12
--- response_body
year=2025 month=12



=== TEST 4: alternation and anchors
--- config
    location ~ \.(gif|jpe?g|png)$ {
        return 200 "image $1\n";
    }
--- request eval
["GET /a.jpeg", "GET /b.png", "GET /c.pngx"]
--- error_code eval
[200, 200, 404]
--- response_body_like eval
["image jpeg", "image png", "404"]



=== TEST 5: a case-insensitive if match keeps the original case in captures
--- config
    location = /t {
        if ($http_x_name ~* ^(hello)-(\w+)$) {
            return 200 "[$1][$2]\n";
        }
        return 404;
    }
--- request
GET /t
--- more_headers
X-Name: HeLLo-World
--- response_body
[HeLLo][World]



=== TEST 6: only $1 to $9: "$10" is $1 then "0"
--- config
    location ~ ^/(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)$ {
        return 200 "$9 $10\n";
    }
--- request
GET /abcdefghij
--- response_body
i a0



=== TEST 7: an unquoted brace in a regex fails the configuration
--- config
    location ~ ^/x/(\d{2})$ {
        return 200;
    }
--- must_die
--- error_log eval
$Test::Nginx::Util::PcreVersion == 2
    ? qr/pcre2_compile\(\) failed: missing closing parenthesis in "\^\/x\/\(\\d"/
    : qr/pcre_compile\(\) failed: missing \)/
