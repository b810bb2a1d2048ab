// Preloaded into a benchmark server by bench/conn-heap.mjs (`node --expose-gc --import ./bench/lib/heap-probe.mjs
// SERVER`): on an IPC `measure` message it collects garbage, reads process.memoryUsage() and sums a V8 heap snapshot
// by node type and constructor name, and answers with the totals. The server program itself is unchanged.
import { getHeapSnapshot } from 'node:v8';

/** Reads a heap snapshot stream into its parsed JSON. */
async function snapshot() {
  const chunks = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** Sums self sizes and counts per `type:name` (strings, code and arrays by type only: their names are their contents). */
function summarize(snap) {
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const types = meta.node_types[iType];
  const byName = new Set(['object', 'closure', 'native', 'hidden', 'object shape']);
  const nodes = snap.nodes;
  const strings = snap.strings;
  const totals = {};
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    let key = type;
    if (byName.has(type)) {
      let name = strings[nodes[i + iName]];
      if (type === 'closure') name = `${name}()`;
      if (name.length > 60) name = `${name.slice(0, 57)}...`;
      key = `${type}:${name}`;
    }
    totals[key] ??= [0, 0];
    const entry = totals[key];
    entry[0] += 1;
    entry[1] += nodes[i + iSize];
  }
  // Out-of-object property stores, by the constructor of the object that owns them: they show which objects got
  // more properties than V8 reserved in the object (e.g. a symbol added to a Node socket).
  const edgeFields = meta.edge_fields;
  const edgeStride = edgeFields.length;
  const iEdgeCount = fields.indexOf('edge_count');
  const iEdgeTo = edgeFields.indexOf('to_node');
  const iEdgeName = edgeFields.indexOf('name_or_index');
  const iEdgeType = edgeFields.indexOf('type');
  const edgeTypes = meta.edge_types[iEdgeType];
  const edges = snap.edges;
  let e = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const count = nodes[i + iEdgeCount];
    for (let k = 0; k < count; k++, e += edgeStride) {
      if (edgeTypes[edges[e + iEdgeType]] !== 'internal' || strings[edges[e + iEdgeName]] !== 'properties') continue;
      const to = edges[e + iEdgeTo];
      if (strings[nodes[to + iName]] !== 'system / PropertyArray') continue;
      const key = `properties of:${strings[nodes[i + iName]]}`;
      totals[key] ??= [0, 0];
      totals[key][0] += 1;
      totals[key][1] += nodes[to + iSize];
    }
  }
  return totals;
}

process.on('message', async (msg) => {
  if (msg?.cmd !== 'measure') return;
  for (let i = 0; i < 4; i++) globalThis.gc();
  await new Promise((r) => setTimeout(r, 50));
  globalThis.gc();
  const memory = process.memoryUsage();
  const totals = msg.snapshot === false ? {} : summarize(await snapshot());
  process.send({ cmd: 'measured', memory, totals });
});
