// Runs the published validators on what Signpost publishes, and prints one JSON report
// for the Rust test (tests/it/open_data.rs) to judge.
//
//   node validate.mjs feed <feed URL> <shared data dir>
//     - @openactive/rpde-validator walks the feed end to end (every page, then the
//       far-future last page it asks for itself);
//     - every item's `data` goes through @openactive/data-model-validator (the
//       OpenActive Activity List comes from the shared data, seeded into the
//       validator's own cache, so no network is needed; the item's extension context
//       is fetched from the running Signpost);
//     - and through the core, accessibility and socialrx conformance JSON Schemas
//       (draft-07, with ajv).
//   node validate.mjs openapi <file>
//     - <file> holds {"document": <OpenAPI 3.1>, "checks": [{"schema": name, "value": v}]}:
//       each value is checked against that component schema (JSON Schema 2020-12).

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** Every item of the feed, following `next` until the last (empty) page. */
async function walk(url) {
  const items = [];
  let next = url;
  for (let pages = 0; pages < 1000; pages += 1) {
    const page = await fetchJson(next);
    items.push(...page.items);
    if (page.items.length === 0 || page.next === next) return items;
    next = page.next;
  }
  throw new Error('the feed did not end within 1000 pages');
}

/** Puts a file where the data-model validator's remote JSON cache looks for `url`. */
function seed(cacheDir, url, data) {
  const key = createHash('sha256').update(url).digest('hex');
  const entry = {
    errorCode: 'error_none', data, statusCode: 200, url, exception: null,
    contentType: 'application/ld+json', fetchTime: Date.now(),
  };
  fs.writeFileSync(path.join(cacheDir, `${key}.json`), JSON.stringify(entry));
}

function plain(e) {
  return {
    severity: e.severity, type: e.type, path: e.path, message: String(e.message).slice(0, 300),
  };
}

async function feed(url, shared) {
  const { RpdeValidator } = require('@openactive/rpde-validator');
  const { validate } = require('@openactive/data-model-validator');
  const Ajv = require('ajv');

  const log = await RpdeValidator(url, { pageLimit: 1000, timeoutMs: 20000 });
  const rpde = [];
  for (const page of log.pages) {
    for (const e of page.errors) rpde.push({ url: page.url, ...plain(e) });
  }

  const items = await walk(url);
  const updated = items.filter((i) => i.state === 'updated');
  const deleted = items.filter((i) => i.state === 'deleted');

  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'signpost-oa-cache-'));
  const activityList = JSON.parse(fs.readFileSync(
    path.join(shared, 'openactive/activity-list/activity-list.jsonld'), 'utf8',
  ));
  seed(cacheDir, 'https://openactive.io/activity-list', activityList);
  const options = {
    loadRemoteJson: true, remoteJsonCachePath: cacheDir, remoteJsonCacheTimeToLive: 86400,
  };
  const model = [];
  for (const item of updated) {
    const errors = await validate(item.data, options);
    for (const e of errors) model.push({ id: item.id, ...plain(e) });
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });

  const profiles = {};
  for (const profile of ['core', 'accessibility', 'socialrx']) {
    const dir = path.join(shared, 'openactive/conformance-profiles-jsonschema', profile);
    const ajv = new Ajv({ allErrors: true, strict: false });
    let event;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const schema = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (!schema.$id) continue;
      ajv.addSchema(schema);
      if (f === 'Event.json') event = schema.$id;
    }
    const check = ajv.getSchema(event);
    const errors = [];
    for (const item of updated) {
      if (!check(item.data)) {
        for (const e of check.errors) {
          errors.push({
            id: item.id, path: e.instancePath, keyword: e.keyword,
            missing: e.params.missingProperty ?? null, message: e.message,
          });
        }
      }
    }
    profiles[profile] = errors;
  }
  return { updated: updated.length, deleted: deleted.length, rpde, model, profiles };
}

function openapi(file) {
  const Ajv2020 = require('ajv/dist/2020').default;
  const addFormats = require('ajv-formats').default ?? require('ajv-formats');
  const { document, checks } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'signpost:openapi', components: document.components });
  const failures = [];
  for (const c of checks) {
    const check = ajv.getSchema(`signpost:openapi#/components/schemas/${c.schema}`);
    if (!check(c.value)) {
      failures.push({ schema: c.schema, errors: check.errors.map((e) => `${e.instancePath} ${e.message}`) });
    }
  }
  // The document itself: the structure OpenAPI 3.1 requires of the parts used here.
  const problems = [];
  if (!/^3\.1\.\d+$/.test(document.openapi)) problems.push('openapi is not 3.1.x');
  if (!document.info?.title || !document.info?.version) problems.push('info needs title and version');
  for (const [p, item] of Object.entries(document.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${method} ${p}: no responses`);
      for (const prm of op.parameters ?? []) {
        if (!prm.name || !['query', 'path', 'header', 'cookie'].includes(prm.in)) problems.push(`${method} ${p}: bad parameter`);
        if (prm.in === 'path' && (prm.required !== true || !p.includes(`{${prm.name}}`))) problems.push(`${method} ${p}: path parameter ${prm.name}`);
        try { ajv.compile(prm.schema); } catch (e) { problems.push(`${method} ${p} ${prm.name}: ${e.message}`); }
      }
    }
  }
  return { checked: checks.length, failures, problems };
}

const [mode, ...args] = process.argv.slice(2);
const report = mode === 'feed' ? await feed(args[0], args[1]) : openapi(args[0]);
process.stdout.write(JSON.stringify(report));
