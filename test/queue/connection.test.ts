/** Redis URLs: password, user, db, TLS (rediss://), and one-line errors for what is not a Redis URL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionOptions, parseRedisUrl } from '../../src/queue/connection.js';
import { TsnasError } from '../../src/util/errors.js';

test('a redis:// URL with a password and a db; the display hides the password', () => {
  const t = parseRedisUrl('redis://:s%40cret@10.0.0.1:6380/2');
  assert.deepEqual({ ...t, display: undefined }, { host: '10.0.0.1', port: 6380, tls: false, db: 2, username: undefined, password: 's@cret', display: undefined });
  assert.ok(!t.display.includes('cret'), t.display);
  const o = connectionOptions('redis://:s%40cret@10.0.0.1:6380/2') as Record<string, unknown>;
  assert.equal(o['password'], 's@cret');
  assert.equal(o['maxRetriesPerRequest'], null);
  assert.equal(o['tls'], undefined);
});

test('rediss:// turns TLS on; a user name is passed (Redis ACLs); the port defaults to 6379', () => {
  const t = parseRedisUrl('rediss://alice:pw@redis.example.org');
  assert.equal(t.tls, true);
  assert.equal(t.port, 6379);
  assert.equal(t.username, 'alice');
  const o = connectionOptions('rediss://alice:pw@redis.example.org') as Record<string, unknown>;
  assert.deepEqual(o['tls'], { servername: 'redis.example.org' });
});

test('what is not a Redis URL is a one-line TsnasError', () => {
  for (const [url, re] of [
    ['localhost:6379', /scheme must be redis:\/\/ or rediss:\/\//],
    ['http://h:1', /scheme must be redis/],
    ['not a url', /is not a URL/],
    ['redis://h:1/x', /database 'x'/],
  ] as const) {
    assert.throws(
      () => parseRedisUrl(url),
      (e: unknown) => e instanceof TsnasError && re.test(e.message) && !e.message.includes('\n'),
      url,
    );
  }
});
