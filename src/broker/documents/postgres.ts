// Broker (documents): documents in PostgreSQL, shared by every node that reaches the database.
//
// Tables (created if missing; `table` default `switchboard_documents`): `<table>_updates (name, seq bigserial, data
// bytea)` and `<table>_snapshots (name primary key, data bytea, seq bigint)`; names are stored as their UTF-8 bytes.
// Appends and compactions of one document take a transaction-scoped advisory lock on the document, so its updates
// commit in `seq` order: a load's last `seq` names exactly the rows it read, and a compaction through that `seq`
// deletes those rows and no later one, and upserts the snapshot with that `seq`, in one transaction (a no-op when the
// stored snapshot is newer). Durability is PostgreSQL's: an append resolves after its commit.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DocumentStore, StoredDocument } from '../document-store.ts';
import { BrokerError } from '../errors.ts';
import { beyondLast, checkThroughSeq } from './seq.ts';

/** Options of {@link PostgresDocumentStore}. */
export interface PostgresDocumentStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
  /**
   * Prefix of the two table names: letters, digits and `_`, starting with a letter or `_`, at most 48 characters.
   * @default 'switchboard_documents'
   */
  readonly table?: string;
  /**
   * Most pooled connections.
   * @default 10 - pg's own default; appends are one short statement each
   */
  readonly maxConnections?: number;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;
/** Advisory lock key (any constant) held while creating the tables, so two nodes starting at once do not collide. */
const CREATE_TABLES_LOCK = '7318949251178163200';

/** A document name as stored: its UTF-8 bytes (`bytea`, so every string, NUL included, is a valid name). */
function key(name: string): Buffer {
  if (name.length === 0) throw new TypeError('A document name cannot be empty');
  return Buffer.from(name, 'utf8');
}

/** The document's advisory lock key: the first 64 bits of the SHA-256 of its name, as a signed bigint string. */
function lockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}

function toStoreError(what: string, cause: unknown): Error {
  if (cause instanceof BrokerError || cause instanceof RangeError || cause instanceof TypeError) return cause;
  return new BrokerError(`Cannot ${what} a document: PostgreSQL is unavailable or refused`, {
    code: 'BROKER_UNAVAILABLE',
    cause,
  });
}

/** `pg`, imported on first use, so a server that stores documents elsewhere never loads it. */
let pgModule: Promise<typeof pg> | null = null;
function loadPg(): Promise<typeof pg> {
  pgModule ??= import('pg').then((m) => m.default);
  return pgModule;
}

/** Documents in PostgreSQL. */
export class PostgresDocumentStore implements DocumentStore {
  readonly #pool: pg.Pool;
  readonly #updates: string;
  readonly #snapshots: string;
  #ready: Promise<void> | null = null;
  #closed = false;

  private constructor(options: PostgresDocumentStoreOptions, driver: typeof pg) {
    const table = options.table ?? 'switchboard_documents';
    this.#updates = `"${table}_updates"`;
    this.#snapshots = `"${table}_snapshots"`;
    this.#pool = new driver.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
    // An idle client losing its connection emits 'error' on the pool; without a listener it would crash the process.
    this.#pool.on('error', () => {});
  }

  /**
   * Creates the store and its tables (if missing).
   * @throws RangeError for a table prefix that is not a plain SQL identifier
   * @throws BrokerError `BROKER_UNAVAILABLE` when the database is unreachable
   */
  static async connect(options: PostgresDocumentStoreOptions): Promise<PostgresDocumentStore> {
    const table = options.table ?? 'switchboard_documents';
    if (!TABLE_NAME.test(table)) throw new RangeError(`Invalid documents table prefix ${JSON.stringify(table)}`);
    const store = new PostgresDocumentStore(options, await loadPg());
    try {
      await store.#ensureTables();
    } catch (err) {
      await store.close();
      throw toStoreError('open the store of', err);
    }
    return store;
  }

  async load(name: string): Promise<StoredDocument> {
    return this.#run('load', async () => {
      const client = await this.#pool.connect();
      try {
        // One snapshot of the database for both reads, so a concurrent compaction is seen entirely or not at all.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const snap = await client.query<{ data: Buffer; seq: string }>(
          `SELECT data, seq FROM ${this.#snapshots} WHERE name = $1`,
          [key(name)],
        );
        const rows = await client.query<{ data: Buffer; seq: string }>(
          `SELECT data, seq FROM ${this.#updates} WHERE name = $1 ORDER BY seq`,
          [key(name)],
        );
        await client.query('COMMIT');
        const first = snap.rows[0];
        const snapshot = first === undefined ? null : new Uint8Array(first.data);
        const updates = rows.rows.map((r) => new Uint8Array(r.data));
        const bytes = (snapshot?.byteLength ?? 0) + updates.reduce((sum, u) => sum + u.byteLength, 0);
        const seq = Number(rows.rows.at(-1)?.seq ?? first?.seq ?? 0);
        return { snapshot, updates, bytes, seq };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    await this.#run('append to', async () => {
      // One statement (its own transaction): the advisory lock is taken before the row gets its seq and held until commit.
      await this.#pool.query(
        `WITH lock AS (SELECT pg_advisory_xact_lock($1::bigint))
         INSERT INTO ${this.#updates} (name, data) SELECT $2, $3 FROM lock`,
        [lockKey(name), key(name), Buffer.from(update.buffer, update.byteOffset, update.byteLength)],
      );
    });
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean> {
    checkThroughSeq(throughSeq);
    return this.#run('compact', async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(name)]);
        const found = await client.query<{ snapshot: string | null; last: string | null }>(
          `SELECT (SELECT seq FROM ${this.#snapshots} WHERE name = $1) AS snapshot,
                  (SELECT max(seq) FROM ${this.#updates} WHERE name = $1) AS last`,
          [key(name)],
        );
        const snapshotSeq = Number(found.rows[0]?.snapshot ?? 0);
        const last = Math.max(snapshotSeq, Number(found.rows[0]?.last ?? 0));
        if (throughSeq > last) throw beyondLast(name, throughSeq, last);
        if (throughSeq < snapshotSeq) {
          await client.query('COMMIT');
          return false;
        }
        await client.query(`DELETE FROM ${this.#updates} WHERE name = $1 AND seq <= $2`, [key(name), throughSeq]);
        await client.query(
          `INSERT INTO ${this.#snapshots} (name, data, seq) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, seq = EXCLUDED.seq`,
          [key(name), Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength), throughSeq],
        );
        await client.query('COMMIT');
        return true;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }

  async delete(name: string): Promise<void> {
    await this.#run('delete', async () => {
      const client = await this.#pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(name)]);
        await client.query(`DELETE FROM ${this.#updates} WHERE name = $1`, [key(name)]);
        await client.query(`DELETE FROM ${this.#snapshots} WHERE name = $1`, [key(name)]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end().catch(() => {});
  }

  /** Drops both tables (tests and `switchboard` tooling that removes a deployment's data). */
  async dropTables(): Promise<void> {
    await this.#pool.query(`DROP TABLE IF EXISTS ${this.#updates}, ${this.#snapshots}`);
  }

  #ensureTables(): Promise<void> {
    if (this.#ready === null) {
      this.#ready = this.#createTables();
      // A failed attempt (database down) is retried by the next operation.
      this.#ready.catch(() => {
        this.#ready = null;
      });
    }
    return this.#ready;
  }

  async #createTables(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(${CREATE_TABLES_LOCK})`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.#updates} (name bytea NOT NULL, seq bigserial PRIMARY KEY, data bytea NOT NULL)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS "${this.#updates.slice(1, -1)}_name_seq" ON ${this.#updates} (name, seq)`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.#snapshots} (name bytea PRIMARY KEY, data bytea NOT NULL, seq bigint NOT NULL DEFAULT 0)`,
      );
      // Tables made before snapshots carried their seq: 0 lets the next compaction through.
      await client.query(`ALTER TABLE ${this.#snapshots} ADD COLUMN IF NOT EXISTS seq bigint NOT NULL DEFAULT 0`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async #run<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new BrokerError(`Cannot ${what} a document: the store is closed`, { code: 'BROKER_CLOSED' });
    }
    try {
      await this.#ensureTables();
      return await call();
    } catch (err) {
      throw toStoreError(what, err);
    }
  }
}
