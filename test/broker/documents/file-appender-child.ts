// Test child: appends to three documents of a FileDocumentStore as fast as it can, printing "<doc> <count>" after
// each acknowledged append, until the test kills it with SIGKILL.
import { FileDocumentStore } from '../../../src/broker/index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: file-appender-child.ts DIR');
const store = await FileDocumentStore.open({ dir });
const docs = ['doc:a', 'doc:b', 'doc:c'];
await Promise.all(
  docs.map(async (doc) => {
    for (let i = 0; ; i++) {
      // Several appends in flight per document, so batches of more than one record are cut by the kill too.
      await Promise.all(
        [0, 1, 2, 3].map((k) => store.append(doc, Uint8Array.of((i * 4 + k) % 256, ...new Array(100).fill(7)))),
      );
      process.stdout.write(`${doc} ${i * 4 + 4}\n`);
    }
  }),
);
