/**
 * Rebuilds the analyzer's real-update corpus: consecutive stable release pairs of popular npm
 * packages and of packages that ship native code, network code or large bundles, fetched from the
 * npm registry into a cache outside the repository. `bench/analyzer.ts` measures the analyzer's
 * false-positive rate on it.
 *
 *   node --import tsx scripts/fetch-npm-corpus.ts [--dir ~/.cache/airlock-corpus] [--pairs 3]
 *
 * The registry reachable here is a partial mirror: a packument or tarball that is missing is
 * skipped (the pair is dropped), never fatal. Re-running only fetches what is not cached yet.
 * The cache holds `npm/<name>/<version>.tgz` and `pairs.json` (what the bench reads).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import semver from 'semver';

const registry = process.env.AIRLOCK_CORPUS_REGISTRY ?? 'https://registry.npmjs.org';

/** Popular packages, then native/prebuilt, network, bundled/minified and install-script ones. */
export const corpusPackages: readonly string[] = [
  // most downloaded
  'lodash', 'chalk', 'debug', 'commander', 'semver', 'tslib', 'react', 'react-dom', 'express', 'axios',
  'glob', 'minimatch', 'uuid', 'yargs', 'ms', 'ws', 'dotenv', 'zod', 'typescript', 'prettier',
  'eslint', 'webpack', 'rollup', 'vite', 'postcss', 'autoprefixer', 'tailwindcss', 'jest', 'vitest', 'mocha',
  'body-parser', 'cookie', 'qs', 'mime', 'mime-types', 'picomatch', 'micromatch', 'braces', 'fill-range', 'yaml',
  'js-yaml', 'ajv', 'fast-glob', 'rimraf', 'fs-extra', 'graceful-fs', 'inquirer', 'ora', 'execa', 'cross-spawn',
  'node-fetch', 'undici', 'got', 'ky', 'form-data', 'follow-redirects', 'http-proxy-agent', 'https-proxy-agent', 'agent-base', 'socks-proxy-agent',
  'date-fns', 'dayjs', 'moment', 'luxon', 'classnames', 'clsx', 'immer', 'redux', '@reduxjs/toolkit', 'rxjs',
  'vue', 'svelte', 'next', 'nuxt', '@angular/core', 'preact', 'solid-js', 'lit', 'jquery', 'three',
  'typeorm', 'prisma', '@prisma/client', 'mongoose', 'mongodb', 'pg', 'mysql2', 'redis', 'ioredis', 'sequelize',
  'jsonwebtoken', 'bcryptjs', 'jose', 'passport', 'helmet', 'cors', 'morgan', 'winston', 'pino', 'bunyan',
  'chokidar', 'nodemon', 'concurrently', 'husky', 'lint-staged', 'npm-run-all', 'dotenv-expand', 'cac', 'meow', 'kleur',
  'picocolors', 'colorette', 'supports-color', 'ansi-styles', 'strip-ansi', 'string-width', 'wrap-ansi', 'cliui', 'camelcase', 'escape-string-regexp',
  'nanoid', 'p-limit', 'p-queue', 'async', 'bluebird', 'eventemitter3', 'mitt', 'ramda', 'underscore', 'validator',
  'joi', 'yup', 'class-validator', 'reflect-metadata', 'core-js', 'regenerator-runtime', '@babel/core', '@babel/parser', '@babel/traverse', '@babel/generator',
  // native / prebuilt binaries / install scripts
  'esbuild', '@esbuild/linux-x64', 'sharp', 'better-sqlite3', 'sqlite3', 'bcrypt', 'canvas', 'node-gyp', 'node-pty', 'fsevents',
  '@swc/core', '@swc/core-linux-x64-gnu', 'lightningcss', '@parcel/watcher', 'turbo', '@biomejs/biome', 'puppeteer', 'playwright', 'playwright-core', 'electron',
  'node-sass', 'sass', 'sass-embedded', 're2', 'argon2', 'cpu-features', 'ssh2', 'usb', 'serialport', 'keytar',
  '@napi-rs/canvas', 'rollup', '@rollup/rollup-linux-x64-gnu', 'lmdb', 'msgpackr-extract', 'bufferutil', 'utf-8-validate', 'deasync', 'leveldown', 'classic-level',
  'protobufjs', 'grpc-tools', '@grpc/grpc-js', 'cypress', 'nx', '@nx/devkit', 'prisma', 'husky', 'core-js-pure', 'es5-ext',
  // network clients / SDKs / crypto
  'socket.io', 'socket.io-client', 'engine.io', 'mqtt', 'nodemailer', 'aws-sdk', '@aws-sdk/client-s3', '@aws-sdk/client-dynamodb', '@google-cloud/storage', 'firebase',
  'firebase-admin', 'stripe', 'openai', '@anthropic-ai/sdk', 'twilio', '@octokit/rest', '@octokit/core', 'googleapis', 'node-forge', 'tweetnacl',
  'elliptic', 'bn.js', 'ethers', 'web3', 'viem', '@solana/web3.js', 'bitcoinjs-lib', 'crypto-js', 'jsrsasign', 'pkijs',
  'asn1js', '@peculiar/x509', 'selfsigned', 'node-rsa', 'openpgp', 'ssh2-sftp-client', 'ftp', 'basic-ftp', 'request', 'superagent',
  'http-proxy', 'http-proxy-middleware', 'proxy-agent', 'pac-resolver', 'dns-packet', 'ip', 'ipaddr.js', 'netmask', 'whatwg-url', 'tough-cookie',
  // bundled / minified / large
  '@vercel/ncc', 'terser', 'uglify-js', 'esbuild-wasm', 'monaco-editor', 'pdfjs-dist', 'chart.js', 'd3', 'echarts', 'plotly.js-dist-min',
  'mermaid', 'katex', 'highlight.js', 'prismjs', 'marked', 'markdown-it', 'showdown', 'dompurify', 'jsdom', 'cheerio',
  '@sentry/node', '@sentry/browser', 'posthog-js', 'mixpanel-browser', '@datadog/browser-rum', 'dd-trace', 'newrelic', 'applicationinsights', '@opentelemetry/api', '@opentelemetry/sdk-node',
  'wrangler', 'vercel', 'netlify-cli', 'firebase-tools', 'aws-cdk', 'aws-cdk-lib', 'serverless', '@angular/cli', '@vue/cli-service', 'create-react-app',
  'pnpm', 'yarn', 'npm', 'corepack', 'verdaccio', 'lerna', '@changesets/cli', 'semantic-release', 'release-it', 'np',
];

interface Pair {
  name: string;
  previous: string;
  candidate: string;
}

interface Packument {
  versions?: Record<string, { dist?: { tarball?: string } }>;
  time?: Record<string, string>;
}

function arg(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export function defaultCorpusDir(): string {
  return process.env.AIRLOCK_CORPUS_DIR ?? path.join(homedir(), '.cache', 'airlock-corpus');
}

async function getJson(url: string): Promise<Packument | null> {
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    return (await res.json()) as Packument;
  } catch {
    return null;
  }
}

async function download(url: string, file: string): Promise<boolean> {
  if (existsSync(file)) return true;
  try {
    const res = await fetch(url);
    if (!res.ok) return false;
    const body = Buffer.from(await res.arrayBuffer());
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.part`, body);
    await rename(`${file}.part`, file);
    return true;
  } catch {
    return false;
  }
}

export function tarballPath(dir: string, name: string, version: string): string {
  return path.join(dir, 'npm', name.replace('/', '__'), `${version}.tgz`);
}

/** The latest `count + 1` stable versions in publish order, newest last. */
function latestStable(doc: Packument, count: number): string[] {
  const versions = Object.keys(doc.versions ?? {}).filter((v) => semver.valid(v) && semver.prerelease(v) === null);
  versions.sort(semver.compare);
  return versions.slice(-(count + 1));
}

async function fetchPackage(dir: string, name: string, pairsPerPackage: number): Promise<Pair[]> {
  const doc = await getJson(`${registry}/${name.replace('/', '%2f')}`);
  if (!doc?.versions) return [];
  const versions = latestStable(doc, pairsPerPackage);
  const have = new Map<string, boolean>();
  for (const v of versions) {
    const url = doc.versions[v]?.dist?.tarball;
    have.set(v, url ? await download(url, tarballPath(dir, name, v)) : false);
  }
  const pairs: Pair[] = [];
  for (let i = 1; i < versions.length; i++) {
    if (have.get(versions[i - 1]!) && have.get(versions[i]!)) pairs.push({ name, previous: versions[i - 1]!, candidate: versions[i]! });
  }
  return pairs;
}

async function main(): Promise<void> {
  const dir = arg('--dir', defaultCorpusDir());
  const pairsPerPackage = Number(arg('--pairs', '3'));
  await mkdir(dir, { recursive: true });
  const names = [...new Set(corpusPackages)];
  const pairs: Pair[] = [];
  let next = 0;
  // A few at a time: the machine is shared and the registry a mirror.
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      const got = await fetchPackage(dir, name, pairsPerPackage);
      pairs.push(...got);
      console.log(`${name}: ${got.length} pair(s)`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  pairs.sort((a, b) => a.name.localeCompare(b.name) || semver.compare(a.candidate, b.candidate));
  await writeFile(path.join(dir, 'pairs.json'), JSON.stringify({ registry, fetchedAt: new Date().toISOString(), pairs }, null, 2));
  console.log(`${pairs.length} pairs from ${new Set(pairs.map((p) => p.name)).size} packages in ${dir}`);
}

export async function readCorpus(dir: string): Promise<Pair[] | null> {
  try {
    const doc = JSON.parse(await readFile(path.join(dir, 'pairs.json'), 'utf8')) as { pairs: Pair[] };
    return doc.pairs;
  } catch {
    return null;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('scripts', 'fetch-npm-corpus.ts'))) {
  await main();
}
