import type { Database } from 'better-sqlite3';
import { StoreError } from '../core/errors.js';

/**
 * Versioned, forward-only schema migrations. A migration is never edited once released: add a new
 * one. Each runs in its own transaction together with its `schema_migrations` row, so a crash leaves
 * the database at a whole version. Timestamps in tables are normalised MDE timestamps (7 fractional
 * digits, `Z`) or ISO 8601 UTC strings, so text order is time order.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'actions, status history, ingest state, runs, quarantine',
    sql: `
      CREATE TABLE actions (
        -- stable row number (an INTEGER PRIMARY KEY survives VACUUM, a bare rowid may not)
        seq                    INTEGER PRIMARY KEY,
        id                     TEXT NOT NULL UNIQUE,
        type                   TEXT NOT NULL,
        title                  TEXT,
        requestor              TEXT NOT NULL,
        requestor_comment      TEXT,
        status                 TEXT NOT NULL,
        machine_id             TEXT NOT NULL,
        computer_dns_name      TEXT,
        -- lower-case full name and lower-case short name (before the first dot), for device lookups
        device_name_lc         TEXT,
        device_short_lc        TEXT,
        creation_time          TEXT NOT NULL,
        last_update_time       TEXT NOT NULL,
        cancellation_requestor TEXT,
        cancellation_comment   TEXT,
        cancellation_time      TEXT,
        error_hresult          INTEGER NOT NULL,
        scope                  TEXT,
        external_id            TEXT,
        request_source         TEXT,
        -- the item exactly as the API sent it (JSON), including keys we do not know yet
        raw                    TEXT NOT NULL,
        first_seen_at          TEXT NOT NULL,
        updated_at             TEXT NOT NULL,
        first_run_id           INTEGER NOT NULL
      );
      -- Clustered by seq (not WITHOUT ROWID on the GUID): rows carry ~1 KB of raw JSON, and random GUID keys in a
      -- clustered index would split pages on every insert.
      -- Indexes for the chat queries. Every full index costs ~2 us per ingested row, so the status
      -- and type lookups the commands need ("pending", "failed", "isolated") are partial indexes
      -- over the few rows they concern; summaries by type or status scan the creation-time range.
      CREATE INDEX actions_device    ON actions (device_short_lc, creation_time);
      CREATE INDEX actions_machine   ON actions (machine_id, creation_time);
      CREATE INDEX actions_requestor ON actions (requestor COLLATE NOCASE, creation_time);
      -- Covers the counts by type, status, requestor, device and day over a time range without
      -- reading the ~1 KB rows (measured on 1M actions: requestors/devices 30d 45-52 ms -> ~15-20 ms).
      CREATE INDEX actions_creation  ON actions (creation_time, type, status, requestor, device_name_lc);
      CREATE INDEX actions_open      ON actions (creation_time) WHERE status IN ('Pending', 'InProgress');
      CREATE INDEX actions_failed    ON actions (creation_time) WHERE status IN ('Failed', 'TimeOut');
      -- Covers "isolated now" (latest effective Isolate/Unisolate per machine) without reading the rows.
      CREATE INDEX actions_isolation ON actions (machine_id, creation_time, type, status) WHERE type IN ('Isolate', 'Unisolate');

      -- Keyed by the action's seq, not its GUID: new actions get increasing seqs, so a backfill
      -- appends to this table instead of inserting at random places.
      CREATE TABLE action_status_history (
        action_seq   INTEGER NOT NULL REFERENCES actions (seq),
        status       TEXT NOT NULL,
        changed_at   TEXT NOT NULL,
        observed_at  TEXT NOT NULL,
        run_id       INTEGER NOT NULL,
        PRIMARY KEY (action_seq, changed_at, status)
      ) WITHOUT ROWID;

      CREATE TABLE ingest_state (
        id                    INTEGER PRIMARY KEY CHECK (id = 1),
        cursor                TEXT,
        mode                  TEXT NOT NULL DEFAULT 'lastUpdate' CHECK (mode IN ('lastUpdate', 'creation')),
        mode_reason           TEXT,
        backfill_completed_at TEXT,
        last_run_started_at   TEXT,
        last_success_at       TEXT,
        last_error_at         TEXT,
        last_error            TEXT,
        runs_total            INTEGER NOT NULL DEFAULT 0,
        runs_failed           INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO ingest_state (id) VALUES (1);

      CREATE TABLE ingest_runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        ok          INTEGER,
        backfill    INTEGER NOT NULL,
        error       TEXT,
        stats       TEXT NOT NULL DEFAULT '{}'
      );

      CREATE TABLE quarantine (
        raw_sha256    TEXT PRIMARY KEY,
        action_id     TEXT,
        raw           TEXT NOT NULL,
        reason        TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        seen_count    INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'change log (transactional outbox), conversations and subscriptions, consumer offsets',
    sql: `
      -- One row per stored change that may need telling (a new action or a status change), written
      -- in the same transaction as the page that made it: whatever consumes it (alerts) reads it
      -- after its own durable offset, so a crash between ingest and send loses nothing.
      CREATE TABLE action_changes (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        action_seq      INTEGER NOT NULL REFERENCES actions (seq),
        kind            TEXT NOT NULL CHECK (kind IN ('new', 'statusChanged')),
        status          TEXT NOT NULL,
        previous_status TEXT,
        backfill        INTEGER NOT NULL,
        run_id          INTEGER NOT NULL,
        recorded_at     TEXT NOT NULL
      );

      -- How far each consumer of action_changes has got (its last processed seq).
      CREATE TABLE consumer_offsets (
        name TEXT PRIMARY KEY,
        seq  INTEGER NOT NULL
      );

      -- Where the bot is installed (team channel, group chat, personal chat), with our own
      -- conversation-reference record as JSON, and what each conversation is subscribed to.
      CREATE TABLE conversations (
        conversation_id TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        name            TEXT,
        ref             TEXT NOT NULL,
        installed_at    TEXT NOT NULL,
        alerts          INTEGER NOT NULL DEFAULT 0,
        digest          INTEGER NOT NULL DEFAULT 0,
        subscribed_at   TEXT,
        subscribed_by   TEXT,
        active          INTEGER NOT NULL DEFAULT 1,
        inactive_reason TEXT
      );
    `,
  },
  {
    version: 3,
    name: 'alert deliveries (outbox to Teams) and posted cards',
    sql: `
      -- What must be posted or updated in Teams, per conversation; written in the same transaction
      -- that moves the alert consumer's offset, so a crash between deciding and sending loses
      -- nothing. A delivery is marked sent in the transaction that records its posted card.
      CREATE TABLE alert_deliveries (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('alert', 'update')),
        action_id       TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        not_before      TEXT,
        last_error      TEXT,
        done_at         TEXT
      );
      CREATE INDEX alert_deliveries_pending ON alert_deliveries (id) WHERE state = 'pending';
      CREATE INDEX alert_deliveries_action ON alert_deliveries (conversation_id, action_id);

      -- Where each action's alert card was posted, to update that same card in place.
      CREATE TABLE posted_cards (
        conversation_id         TEXT NOT NULL,
        action_id               TEXT NOT NULL,
        message_conversation_id TEXT NOT NULL,
        activity_id             TEXT NOT NULL,
        payload                 TEXT NOT NULL,
        posted_at               TEXT NOT NULL,
        PRIMARY KEY (conversation_id, action_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'isolation state per machine',
    sql: `
      -- Per machine, the latest (creation time, then seq) Isolate/Unisolate whose status is
      -- Succeeded, Pending or InProgress: the machine is isolated when that one is an Isolate.
      -- Maintained by the store whenever such an action is written, so "isolated now" reads a few
      -- rows instead of every machine's isolation history.
      CREATE TABLE machine_isolation (
        machine_id TEXT PRIMARY KEY,
        action_seq INTEGER NOT NULL REFERENCES actions (seq),
        isolated   INTEGER NOT NULL,
        since      TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX machine_isolation_isolated ON machine_isolation (since) WHERE isolated = 1;
      INSERT INTO machine_isolation (machine_id, action_seq, isolated, since)
        SELECT machine_id, seq, type = 'Isolate', creation_time FROM (
          SELECT machine_id, seq, type, creation_time,
                 row_number() OVER (PARTITION BY machine_id ORDER BY creation_time DESC, seq DESC) AS rn
            FROM actions
           WHERE type IN ('Isolate', 'Unisolate') AND status IN ('Succeeded', 'Pending', 'InProgress'))
        WHERE rn = 1;
    `,
  },
  {
    version: 5,
    name: 'bot state',
    sql: `
      -- Small durable facts of the bot (e.g. the local date of the last digest sent), key -> text.
      CREATE TABLE bot_state (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'forwarding outbox (Log Analytics)',
    sql: `
      -- Every new or changed version of an action still to be sent to Log Analytics, written in the
      -- same transaction as the page that stored it (only while forwarding is enabled). The
      -- forwarder deletes rows once the Logs Ingestion API has accepted them, so a failure or a
      -- crash leaves them here to be sent later. raw = the MachineAction JSON of that version.
      CREATE TABLE forward_outbox (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        action_seq INTEGER NOT NULL REFERENCES actions (seq),
        raw        TEXT NOT NULL
      );
    `,
  },
];

/** Applies every migration newer than the database's version; returns the versions applied. */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => string = () => new Date().toISOString(),
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const current = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) {
    throw new StoreError(`The database is at schema version ${current}, newer than this program knows (${latest}).`, {
      fix: 'Run the newer version of defender-audit-bot that wrote it, or restore a backup taken before the upgrade.',
    });
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now());
    })();
    applied.push(m.version);
  }
  return applied;
}

export function schemaVersion(db: Database): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}
