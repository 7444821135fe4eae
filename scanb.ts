import { createHash } from 'node:crypto';
import { readPackument } from '/work/main/src/ecosystems/npm/read-packument.js';
function packument(name: string, count: number, upstream: string): Buffer {
  const longAgo = Date.now() - 400 * 86_400_000;
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = { created: new Date(longAgo - 86_400_000).toISOString() };
  let latest = '';
  for (let i = 0; i < count; i++) {
    const version = `${Math.floor(i / 100) + 1}.${Math.floor(i / 10) % 10}.${i % 10}`;
    const digest = createHash('sha512').update(`${name}@${version}`).digest();
    versions[version] = { name, version, description: `release ${version} of ${name}`, main: 'index.js', license: 'MIT', dependencies: { 'tiny-pkg': '^1.0.0' }, _id: `${name}@${version}`,
      dist: { tarball: `${upstream}${name}/-/${name}-${version}.tgz`, shasum: digest.subarray(0, 20).toString('hex'), integrity: `sha512-${digest.toString('base64')}` } };
    time[version] = new Date(longAgo + i * 60_000).toISOString();
    latest = version;
  }
  time.modified = time[latest]!;
  return Buffer.from(JSON.stringify({ name, 'dist-tags': { latest }, versions, time }));
}
const docs = Array.from({ length: 50 }, (_, i) => packument(`pkg-${i}`, 200, 'http://127.0.0.1:4873/'));
console.log('doc bytes', docs[0]!.length);
for (let round = 0; round < 5; round++) {
  const t = performance.now();
  for (let k = 0; k < 20; k++) for (const d of docs) readPackument('pkg', d, () => {});
  console.log('readPackument ms per doc', ((performance.now() - t) / 1000).toFixed(3));
}
