// Test child: opens a FileDocumentStore on DIR (taking its lock), prints "locked", and holds it until killed.
import { FileDocumentStore } from '../../../src/broker/index.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: file-lock-child.ts DIR');
await FileDocumentStore.open({ dir });
process.stdout.write('locked\n');
setInterval(() => {}, 60_000);
