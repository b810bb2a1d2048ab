// Preloaded into a benchmark server by bench/conn-heap.mjs (`node --expose-gc --import ./bench/lib/heap-probe.mjs
// SERVER`): on an IPC `measure` message it collects garbage, reads process.memoryUsage() and sums a V8 heap snapshot
// by node type and constructor name, and answers with the totals. With `retainers: true` each key also names the node's
// first strong retainer and the edge from it (`array <- Session.subscriptions`), which says whose the objects are. The
// server program itself is unchanged.
import { getHeapSnapshot } from 'node:v8';

/** Reads a heap snapshot stream into its parsed JSON. */
async function snapshot() {
  const chunks = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * For each node, its first retainer over a strong edge (weak and shortcut edges skipped) and the edge's name:
 * { node: Int32Array of the retainer's node offset (-1 for none), edge: string[] }.
 */
function firstRetainers(snap) {
  const meta = snap.snapshot.meta;
  const stride = meta.node_fields.length;
  const iEdgeCount = meta.node_fields.indexOf('edge_count');
  const edgeStride = meta.edge_fields.length;
  const iEdgeType = meta.edge_fields.indexOf('type');
  const iEdgeName = meta.edge_fields.indexOf('name_or_index');
  const iEdgeTo = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[iEdgeType];
  const { nodes, edges, strings } = snap;
  const count = nodes.length / stride;
  const node = new Int32Array(count).fill(-1);
  const edge = new Array(count);
  let e = 0;
  for (let i = 0; i < nodes.length; i += stride) {
    const n = nodes[i + iEdgeCount];
    for (let k = 0; k < n; k++, e += edgeStride) {
      const type = edgeTypes[edges[e + iEdgeType]];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e + iEdgeTo] / stride;
      if (node[to] !== -1) continue;
      node[to] = i;
      const nameOrIndex = edges[e + iEdgeName];
      edge[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : strings[nameOrIndex];
    }
  }
  return { node, edge };
}

/** Sums self sizes and counts per `type:name` (strings, code and arrays by type only: their names are their contents). */
function summarize(snap, retainers) {
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
  const owner = retainers ? firstRetainers(snap) : null;
  /** `name.edge` of node `i`'s first strong retainer, or '' (a root). */
  const retainedBy = (i) => {
    const r = owner.node[i / stride];
    if (r < 0) return '';
    let name = strings[nodes[r + iName]];
    if (name.length > 40) name = `${name.slice(0, 37)}...`;
    return `${name}.${owner.edge[i / stride]}`;
  };
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + iType]];
    let key = type;
    if (byName.has(type)) {
      let name = strings[nodes[i + iName]];
      if (type === 'closure') name = `${name}()`;
      if (name.length > 60) name = `${name.slice(0, 57)}...`;
      key = `${type}:${name}`;
    }
    if (owner !== null) {
      const first = retainedBy(i);
      const r = owner.node[i / stride];
      key += ` <- ${first}${r >= 0 && owner.node[r / stride] >= 0 ? ` <- ${retainedBy(r)}` : ''}`;
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
  const totals = msg.snapshot === false ? {} : summarize(await snapshot(), msg.retainers === true);
  process.send({ cmd: 'measured', memory, totals });
});
