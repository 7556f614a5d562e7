// The Test::Base block format and the preamble's calls, on upstream-style files.
import { describe, expect, it } from 'vitest'
import { evaluateBlock, parseBlocks, parseSpec, trimSection } from '../src/parse.ts'
import { perlScope } from '../src/perl.ts'

const FILE = `# vim:set ft= ts=4 sw=4 et fdm=marker:

use Test::Nginx::Socket::Lua 'no_plan';
use Cwd qw(cwd);

repeat_each(2);

plan tests => repeat_each() * (blocks() * 3 + 2);

my $pwd = cwd();

our $HttpConfig = qq{
    lua_package_path "$ENV{TEST_NGINX_HTML_DIR}/?.lua;;";
};

$ENV{TEST_NGINX_MEMCACHED_PORT} ||= 11211;
$ENV{TEST_NGINX_RESOLVER} //= '8.8.4.4';

no_long_string();
log_level('warn');
check_accum_error_log();
no_shuffle();
workers(2);
master_on();
no_root_location();
env_to_nginx("FOO", "BAR=1");

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->request) {
        $block->set_value("request", "GET /t\\n");
    }

    if (!defined $block->no_error_log) {
        $block->set_value("no_error_log", "[error]");
    }
});

run_tests();

__DATA__

=== TEST 1: simple
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        return 200 "hi\\n";
    }
--- response_body
hi



=== TEST 2: inline values, filters and eval
description text is ignored
--- request
    POST /t
hello
--- error_code: 201
--- response_body chomp
done
--- error_log eval
[qr/\\[warn\\] .*? port \\d+/, "literal"]
--- no_error_log
[error]
[crit]



=== TEST 3: chop and a multi-filter eval
--- response_body eval chomp
"a" x 3 . "\\n"
--- more_headers chop
X-A: 1X
--- SKIP
`

describe('trimSection (Test::Base trim)', () => {
  it('drops blank lines at both ends and keeps one newline', () => {
    expect(trimSection('\n\nhello\nworld\n\n\n')).toBe('hello\nworld\n')
    expect(trimSection('\n  \n')).toBe('')
  })
})

describe('parseBlocks', () => {
  it('splits blocks and sections, with filters and inline values', () => {
    const blocks = parseBlocks('=== TEST 1: a\n--- config\nx;\n--- error_code: 404\n--- request eval chomp\n"GET /"\n\n\n=== TEST 2: b\n--- ONLY\n__END__\n=== TEST 3: gone\n')
    expect(blocks.map((b) => b.name)).toEqual(['TEST 1: a', 'TEST 2: b'])
    const s = blocks[0]?.sections
    expect(s?.get('config')?.raw).toBe('x;\n')
    expect(s?.get('error_code')).toMatchObject({ raw: '404', inline: true })
    expect(s?.get('request')).toMatchObject({ filters: ['eval', 'chomp'], raw: '"GET /"\n' })
    expect(blocks[1]?.sections.has('ONLY')).toBe(true)
  })
})

describe('parseSpec', () => {
  const scope = perlScope({ TEST_NGINX_HTML_DIR: '/h', TEST_NGINX_RESOLVER: undefined })
  const spec = parseSpec(FILE, 'x.t', scope)

  it('reads the preamble calls', () => {
    const p = spec.preamble
    expect(p.unsupported).toBeUndefined()
    expect(p).toMatchObject({
      repeatEach: 2, logLevel: 'warn', checkAccumErrorLog: true, workers: 2, masterOn: true,
      noRootLocation: true, envToNginx: ['FOO', 'BAR=1'],
    })
    expect(p.uses).toEqual(['Test::Nginx::Socket::Lua', 'Cwd'])
    expect(scope.vars.get('HttpConfig')).toBe('\n    lua_package_path "/h/?.lua;;";\n')
    expect(scope.env['TEST_NGINX_MEMCACHED_PORT']).toBe('11211')
    expect(scope.env['TEST_NGINX_RESOLVER']).toBe('8.8.4.4')
  })

  it('presets fill sections only where the block has none', () => {
    const b1 = evaluateBlock(spec, spec.blocks[0]!)
    expect(b1.values.get('request')).toBe('GET /t\n')
    expect(b1.values.get('no_error_log')).toBe('[error]')
    expect(b1.values.get('http_config')).toBe('\n    lua_package_path "/h/?.lua;;";\n')
    const b2 = evaluateBlock(spec, spec.blocks[1]!)
    expect(b2.values.get('request')).toBe('    POST /t\nhello\n')
    expect(b2.values.get('error_code')).toBe('201')
    expect(b2.values.get('response_body')).toBe('done')
    expect(b2.values.get('no_error_log')).toBe('[error]\n[crit]\n')
    const el = b2.values.get('error_log') as unknown[]
    expect(el[0]).toBeInstanceOf(RegExp)
    expect(el[1]).toBe('literal')
  })

  it('eval then chomp, and chop', () => {
    const b3 = evaluateBlock(spec, spec.blocks[2]!)
    expect(b3.values.get('response_body')).toBe('aaa')
    expect(b3.values.get('more_headers')).toBe('X-A: 1X')
    expect(b3.values.has('SKIP')).toBe(true)
  })

  it('a block whose eval falls outside the subset is skipped with the reason', () => {
    const s = parseSpec('__DATA__\n=== TEST 1: x\n--- request eval\nmy $s = "GET /"; $s\n', 'y.t', perlScope({}))
    expect(evaluateBlock(s, s.blocks[0]!).skip).toMatch(/unsupported Perl/)
  })

  it('an unknown preamble call skips every block', () => {
    const s = parseSpec('use Test::Nginx::Socket;\nadd_response_body_check(sub { 1 });\nrun_tests();\n__DATA__\n=== TEST 1: x\n--- request\nGET /\n', 'z.t', perlScope({}))
    expect(s.preamble.unsupported).toMatch(/call to add_response_body_check/)
    expect(evaluateBlock(s, s.blocks[0]!).skip).toMatch(/add_response_body_check/)
  })

  it('plan skip_all, conditional on the environment', () => {
    const text = 'use Test::Nginx::Socket;\nif (!$ENV{TEST_NGINX_CHECK_LEAK}) { plan skip_all => "no leak mode"; } else { plan tests => 3; }\n__DATA__\n=== TEST 1: x\n'
    expect(parseSpec(text, 'a.t', perlScope({})).preamble.skipAll).toBe('no leak mode')
    expect(parseSpec(text, 'a.t', perlScope({ TEST_NGINX_CHECK_LEAK: '1' })).preamble.skipAll).toBeUndefined()
    const mod = 'plan skip_all => "needs redis" unless $ENV{HAVE_REDIS};\n__DATA__\n'
    expect(parseSpec(mod, 'b.t', perlScope({})).preamble.skipAll).toBe('needs redis')
    expect(parseSpec(mod, 'b.t', perlScope({ HAVE_REDIS: '1' })).preamble.skipAll).toBeUndefined()
  })

  it('heredoc variables in the preamble', () => {
    const s = perlScope({})
    parseSpec('our $Conf = <<"_EOC_";\n    location = /x { return 200; }\n_EOC_\nrepeat_each(3);\n__DATA__\n', 'c.t', s)
    expect(s.vars.get('Conf')).toBe('    location = /x { return 200; }\n')
  })

  it('a preprocessor other than "set when missing" is not followed', () => {
    const s = parseSpec('add_block_preprocessor(sub { my $block = shift; $block->request =~ s/a/b/; });\n__DATA__\n', 'd.t', perlScope({}))
    expect(s.preamble.unsupported).toMatch(/set_value/)
  })

  it('elsif chains, list assignment, plain assignment, BEGIN blocks and more calls', () => {
    const s = perlScope({ MODE: 'b' })
    const spec = parseSpec([
      'BEGIN { $ENV{TEST_NGINX_X} = "set in BEGIN"; }',
      'my ($a, $b) = ("one", "two");',
      '$Mode = "m";',
      'if ($ENV{MODE} eq "a") { repeat_each(5); } elsif ($ENV{MODE} eq "b") { repeat_each(3); } else { repeat_each(7); }',
      'master_process_enabled(1);',
      'worker_connections(1024);',
      'sub helper { return 1 }',
      'no_diff();',
      'log_level "info";',
      '__DATA__',
    ].join('\n'), 'e.t', s)
    expect(spec.preamble.unsupported).toBeUndefined()
    expect(spec.preamble).toMatchObject({ repeatEach: 3, masterOn: true, workerConnections: 1024, logLevel: 'info' })
    expect(s.env['TEST_NGINX_X']).toBe('set in BEGIN')
    expect([s.vars.get('a'), s.vars.get('b'), s.vars.get('Mode')]).toEqual(['one', 'two', 'm'])
  })

  it('unless-style preprocessors and unconditional set_value', () => {
    const spec = parseSpec([
      'add_block_preprocessor(sub {',
      '    my ($block) = @_;',
      '    unless (defined $block->error_log) { $block->set_value("error_log", "x"); }',
      '    $block->set_value("timeout", "1");',
      '});',
      '__DATA__',
      '=== TEST 1: a',
      '--- timeout: 9',
      '--- error_log',
      'own',
    ].join('\n'), 'f.t', perlScope({}))
    const v = evaluateBlock(spec, spec.blocks[0]!).values
    expect([v.get('error_log'), v.get('timeout')]).toEqual(['own\n', '1'])
    const bad = parseSpec('add_block_preprocessor(sub { my $block = shift; if (defined $block->x) { $block->set_value("y", 1); } });\n__DATA__\n', 'g.t', perlScope({}))
    expect(bad.preamble.unsupported).toMatch(/not "section missing"/)
  })

  it('a filter Test::Base has but the runner does not is a skip', () => {
    const s = parseSpec('__DATA__\n=== TEST 1: x\n--- request lines\nGET /\n', 'h.t', perlScope({}))
    expect(evaluateBlock(s, s.blocks[0]!).skip).toBe('filter "lines" is not supported')
  })
})
